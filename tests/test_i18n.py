"""The Russian catalogue is complete, and the compiled catalogue the site loads matches it."""

import gettext
import re
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"


def _po_entries(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for each entry of a .po file, header excluded."""
    entries: list[tuple[str, str, bool]] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines or all(line.startswith("#~") for line in lines):
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        parts: dict[str, str] = {}
        current = ""
        for line in lines:
            match = re.match(r'^(msgid|msgstr|msgid_plural|msgstr\[\d\]|msgctxt) "(.*)"$', line)
            if match:
                current = match.group(1)
                parts[current] = match.group(2)
            elif line.startswith('"') and current:
                parts[current] += line[1:-1]
        if "msgid" not in parts or parts["msgid"] == "":
            continue
        msgstr = parts.get("msgstr", parts.get("msgstr[0]", ""))
        entries.append((parts["msgid"], msgstr, fuzzy))
    return entries


def _unescape(text: str) -> str:
    return text.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def test_every_russian_message_is_translated_and_none_is_fuzzy():
    entries = _po_entries(LOCALE / "ru" / "LC_MESSAGES" / "django.po")
    assert len(entries) > 200
    untranslated = [msgid for msgid, msgstr, _fuzzy in entries if not msgstr]
    fuzzy = [msgid for msgid, _msgstr, is_fuzzy in entries if is_fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_russian_catalogue_matches_the_source():
    with (LOCALE / "ru" / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, msgstr, _fuzzy in _po_entries(LOCALE / "ru" / "LC_MESSAGES" / "django.po")
        if compiled.gettext(_unescape(msgid)) != _unescape(msgstr)
    ]
    assert stale == [], "run `make messages` to recompile locale/ru/LC_MESSAGES/django.mo"


def test_english_catalogue_exists():
    assert (LOCALE / "en" / "LC_MESSAGES" / "django.po").exists()
    assert (LOCALE / "en" / "LC_MESSAGES" / "django.mo").exists()
