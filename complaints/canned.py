"""Canned responses: the replies staff start from, filled in for one complaint.

Placeholders are ``{name}`` (the customer's name), ``{reference}``, ``{due}`` (the resolution due time, written
the way the complaint's language writes dates) and ``{agent}`` (the agent's first name). Anything else in braces
is left exactly as written: the text is filled by a lookup, never by ``str.format``, so a stray brace cannot break
it or reach into objects.
"""

import re
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import formats, timezone, translation
from django_stubs_ext import StrOrPromise

from complaints.models import CannedResponse, Complaint

_PLACEHOLDER = re.compile(r"\{(name|reference|due|agent)\}")


def canned_list(*, language: str | None = None, first: str | None = None) -> QuerySet[CannedResponse]:
    """The active canned responses, in one language or all; ``first`` puts one language's responses ahead."""
    responses = CannedResponse.objects.filter(is_active=True)
    if language:
        responses = responses.filter(language=language)
    if first:
        responses = responses.annotate(
            _other_language=Case(When(language=first, then=Value(0)), default=Value(1), output_field=IntegerField())
        ).order_by("_other_language", "language", "title", "id")
    else:
        responses = responses.order_by("language", "title", "id")
    return responses


@dataclass(frozen=True)
class CannedGroup:
    """The responses in one language, for an ``<optgroup>``."""

    language: str
    label: StrOrPromise
    responses: list[CannedResponse]


def canned_groups(*, first: str) -> list[CannedGroup]:
    """All active responses grouped by language, ``first`` language's group first. One query."""
    labels = dict(CannedResponse._meta.get_field("language").choices or [])
    groups: dict[str, list[CannedResponse]] = {}
    for response in canned_list(first=first):
        groups.setdefault(response.language, []).append(response)
    return [
        CannedGroup(language=code, label=labels.get(code, code), responses=responses)
        for code, responses in groups.items()
    ]


def canned_get(*, canned_id: int | str) -> CannedResponse | None:
    """An active canned response by id; None for an unknown, retired or malformed id."""
    try:
        pk = int(canned_id)
    except (TypeError, ValueError):
        return None
    return CannedResponse.objects.filter(pk=pk, is_active=True).first()


def _due_text(complaint: Complaint) -> str | None:
    if complaint.resolution_due is None:
        return None
    with translation.override(complaint.language or None):
        return formats.date_format(timezone.localtime(complaint.resolution_due), "DATETIME_FORMAT")


def canned_render(*, canned: CannedResponse, complaint: Complaint, agent: User) -> str:
    """The response's text filled in for this complaint and agent.

    A placeholder with nothing to fill it (no resolution due time yet) stays as written, so the agent sees the
    gap instead of sending a sentence with a hole in it. Unknown placeholders and lone braces stay as written.
    """
    values: dict[str, str | None] = {
        "name": complaint.customer.name.strip() or None,
        "reference": complaint.reference,
        "due": _due_text(complaint),
        "agent": agent.first_name.strip() or agent.get_full_name().strip() or agent.get_username(),
    }

    def fill(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return match.group(0) if value is None else value

    return _PLACEHOLDER.sub(fill, canned.body)
