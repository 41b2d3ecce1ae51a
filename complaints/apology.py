# ruff: noqa: RUF001, RUF002 - the Russian rules and their words are meant to be Cyrillic.
"""A second pair of eyes on a staff reply: does it apologise, own the problem and say what happens next?

Rule-based and advisory only: the hints are shown beside the reply; they never stop an agent who decides to
send it anyway. The rules follow the house tone (../shared/GLOSSARY.md): take responsibility in the first
sentence, say what happens next and by when, never blame the customer, never hide behind "technical works"
without an apology and a remedy.

A reply is checked by the rules of the languages it is written in (Cyrillic letters bring in the Russian rules,
Latin letters the English ones), so a Russian reply to an English complaint is still checked in Russian. The
complaint's language decides only when the text has no letters at all.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

LANGUAGES = ("en", "ru")

NO_APOLOGY = "no_apology"
BLAMES_CUSTOMER = "blames_customer"
TECHNICAL_WORKS_EXCUSE = "technical_works_excuse"
NO_NEXT_STEP = "no_next_step"

MESSAGES: dict[str, StrOrPromise] = {
    NO_APOLOGY: _("Start by taking responsibility: say sorry and that this is our fault."),
    BLAMES_CUSTOMER: _("This reads as blaming the customer. Say what we will do instead of what they did wrong."),
    TECHNICAL_WORKS_EXCUSE: _(
        "“Technical works” is not an explanation on its own: apologise and say how we are putting it right."
    ),
    NO_NEXT_STEP: _(
        "Say what happens next and by when: a refund, replacement, repair, service credit or a date we will come "
        "back by."
    ),
}


@dataclass(frozen=True)
class ApologyHint:
    """One piece of advice about a reply. ``phrase`` is the words that triggered it, when there are some."""

    code: str
    message: StrOrPromise
    phrase: str = ""


@dataclass(frozen=True)
class _Rules:
    apology: re.Pattern[str]
    blame: re.Pattern[str]
    technical_works: re.Pattern[str]
    next_step: re.Pattern[str]


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_EN_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_RU_MONTHS = r"(?:январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр)[а-я]*"
_TIME = r"\b\d{1,2}[:.]\d{2}\b"
_NUMERIC_DATE = r"\b\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?\b|\b\d{4}-\d{2}-\d{2}\b"

_EN = _Rules(
    apology=_any(
        r"\bsorry\b",
        r"\bapolog(?:y|ies|i[sz])",
        r"\bour (?:own )?(?:fault|mistake|error|failure)\b",
        r"\bwe (?:were|are|got it) wrong\b",
        r"\bwe let you down\b",
        r"\bwe regret\b",
        r"\bplease forgive\b",
    ),
    blame=_any(
        r"\byou should(?: not)? have\b(?! (?:received|got|gotten|been|had|heard)\b)",
        r"\byou should(?:n't|'ve)\b",
        r"\b(?:it is|it's|this is|that is|that's) (?:your|entirely your|all your) (?:own )?fault\b",
        r"\byour own fault\b",
        r"\byou failed to\b",
        r"\byou (?:didn't|did not|haven't|have not|never) (?:read|follow|check|bother)",
        r"\bas (?:we|i) (?:have )?already (?:told|explained|said|informed|mentioned)",
        r"\bas (?:previously|already) (?:stated|explained|mentioned)\b",
        r"\byou were supposed to\b",
        r"\bif you had (?:read|followed|checked)\b",
        r"\buser error\b",
        r"\byou must have (?:dropped|broken|damaged|misused)",
    ),
    technical_works=_any(
        r"\btechnical works?\b",
        r"\b(?:scheduled|planned|routine) maintenance\b",
        r"\bmaintenance works?\b",
        r"\bfor technical reasons\b",
    ),
    next_step=_any(
        r"\brefund",
        r"\breplac",
        r"\brepair",
        r"\bcredit",
        r"\bcompensat",
        r"\bvoucher",
        r"\bfree (?:of charge|month|period|delivery)",
        r"\bmoney back\b",
        r"\bwe will\b",
        r"\bwe'll\b",
        r"\bwe are (?:sending|refunding|replacing|repairing|fixing|crediting|arranging|calling|collecting)\b",
        r"\bwe have (?:sent|refunded|replaced|repaired|fixed|credited|arranged|booked)\b",
        r"\bwill be (?:sent|refunded|replaced|repaired|fixed|credited|delivered|back)\b",
        r"\bon (?:its|it's|their) way\b",
        r"\bby (?:tomorrow|tonight|today|the end of|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
        r"\b(?:within|in) (?:\d+|one|two|three|a few) (?:working |business )?(?:hours?|days?|weeks?)\b",
        r"\b(?:today|tomorrow)\b",
        rf"\b\d{{1,2}}(?:st|nd|rd|th)? {_EN_MONTHS}",
        rf"\b{_EN_MONTHS} \d{{1,2}}\b",
        _TIME,
        _NUMERIC_DATE,
    ),
)

_RU = _Rules(
    apology=_any(
        r"извин",
        r"\b(?:прошу|просим) прощения\b",
        r"\bпростите\b",
        r"\bсожалеем\b",
        r"\bсожалею\b",
        r"\b(?:наша|моя) (?:ошибка|вина|недоработка|оплошность)\b",
        r"\bпо нашей вине\b",
        r"\bмы (?:виноваты|ошиблись|подвели вас)\b",
        r"\bэто наш (?:промах|недосмотр)\b",
    ),
    blame=_any(
        r"\bвы (?:должны|обязаны) были\b",
        r"\b(?:это|здесь) (?:ваша|ваша собственная) (?:вина|ошибка)\b",
        r"\bваша (?:вина|ошибка)\b",
        r"\bвы сами\b(?! (?:можете|выбираете|выберете|решаете|решите))",
        r"\bсами виноваты\b",
        r"\bпо вашей (?:же )?вине\b",
        r"(?<!нам )(?<!мне )\b(?:надо|нужно|следовало) было\b",
        r"\bвам следовало\b",
        r"\bвы не (?:прочитали|прочли|читали|ознакомились|проверили|соблюдали)\b",
        r"\bкак (?:мы|я) уже (?:говорил|писал|сообщал|объяснял|отвечал)",
        r"\bвы невнимательно\b",
        r"\bнеправильн(?:ая|ой) эксплуатаци",
    ),
    technical_works=_any(
        r"\bтехнически(?:е|х) работ",
        r"\bтехническими работами\b",
        r"\bплановы(?:е|х) работ",
        r"\bплановыми работами\b",
        r"\bпрофилактически(?:е|х) работ",
        r"\bрегламентны(?:е|х) работ",
        r"\bпо техническим причинам\b",
    ),
    next_step=_any(
        r"\bвернем\b",
        r"\bвозврат",
        r"\bвозвращ",
        r"\bзаменим\b",
        r"\bзамен[аиуыое]",
        r"\bотремонтируем\b",
        r"\bремонт",
        r"\bкомпенс",
        r"\bперерасчет",
        r"\bпромокод",
        r"\bсертификат",
        r"\bбесплатн",
        r"\bначислим\b",
        r"\bзачтем\b",
        r"\bмы (?:с)?делаем\b",
        r"\bмы (?:от|на)?правим\b",
        r"\bмы (?:свяжемся|позвоним|напишем|пришлем|исправим|решим|проверим|починим|доставим|привезем|"
        r"восстановим|вернемся|сообщим|организуем)\b",
        r"\b(?:уже )?(?:отправили|направили|оформили|перечислили)\b",
        r"\bбудет (?:отправлен|заменен|возвращен|отремонтирован|исправлен|доставлен|начислен|восстановлен)",
        r"\bдо (?:завтра|конца|понедельника|вторника|среды|четверга|пятницы|субботы|воскресенья)\b",
        r"\b(?:сегодня|завтра)\b",
        r"\bв течение\b",
        r"\b(?:к|до) \d",
        rf"\b\d{{1,2}} {_RU_MONTHS}",
        _TIME,
        _NUMERIC_DATE,
    ),
)

_RULES = {"en": _EN, "ru": _RU}

_CYRILLIC = re.compile(r"[а-я]")
_LATIN = re.compile(r"[a-z]")


def normalise(text: str) -> str:
    """Lower case, ё as е, straight apostrophes, single spaces: what the rules are written against."""
    text = text.lower().replace("ё", "е").replace("’", "'").replace("‘", "'")
    return re.sub(r"\s+", " ", text).strip()


def detect_language(text: str, *, default: str = "en") -> str:
    """The language most of the letters are in: ``ru`` for a Cyrillic majority, ``en`` for Latin."""
    normalised = normalise(text)
    cyrillic = len(_CYRILLIC.findall(normalised))
    latin = len(_LATIN.findall(normalised))
    if cyrillic == latin == 0:
        return default if default in LANGUAGES else "en"
    return "ru" if cyrillic >= latin else "en"


def _languages_of(normalised: str, *, default: str) -> list[str]:
    found = [
        language for language, letters in (("ru", _CYRILLIC), ("en", _LATIN)) if letters.search(normalised) is not None
    ]
    return found or [default if default in LANGUAGES else "en"]


def _phrase(normalised: str, match: re.Match[str]) -> str:
    """The words that matched, finished to the end of the last word (rules may stop at a word's stem)."""
    rest = re.match(r"\w*", normalised[match.end() :])
    return match.group(0) + (rest.group(0) if rest else "")


def apology_check(text: str, *, language: str) -> list[ApologyHint]:
    """Advice about a reply before it goes to the customer; an empty list when it reads well.

    ``language`` is the complaint's language, used when the text itself has no letters. Hints come in a fixed
    order (no apology, blame, technical works, no next step), at most one of each.
    """
    normalised = normalise(text)
    if not normalised:
        return []
    rules = [_RULES[code] for code in _languages_of(normalised, default=language)]

    def first(pattern_of: str) -> re.Match[str] | None:
        for rule in rules:
            match: re.Match[str] | None = getattr(rule, pattern_of).search(normalised)
            if match is not None:
                return match
        return None

    hints: list[ApologyHint] = []
    apologises = first("apology") is not None
    if not apologises:
        hints.append(ApologyHint(NO_APOLOGY, MESSAGES[NO_APOLOGY]))
    blame = first("blame")
    if blame is not None:
        hints.append(ApologyHint(BLAMES_CUSTOMER, MESSAGES[BLAMES_CUSTOMER], _phrase(normalised, blame)))
    excuse = first("technical_works")
    if excuse is not None and not apologises:
        hints.append(ApologyHint(TECHNICAL_WORKS_EXCUSE, MESSAGES[TECHNICAL_WORKS_EXCUSE], _phrase(normalised, excuse)))
    if first("next_step") is None:
        hints.append(ApologyHint(NO_NEXT_STEP, MESSAGES[NO_NEXT_STEP]))
    return hints
