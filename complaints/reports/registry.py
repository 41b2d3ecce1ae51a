"""The managers' reports by slug, in the order the reports page lists them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.reports.base import Period, Report
from complaints.reports.volume import report_volume


@dataclass(frozen=True)
class ReportSpec:
    slug: str
    title: str | Promise
    build: Callable[..., Report]


REPORTS: dict[str, ReportSpec] = {spec.slug: spec for spec in (ReportSpec("volume", _("Volume"), report_volume),)}


def report_build(*, slug: str, period: Period, now: datetime) -> Report:
    """Build one report; ``KeyError`` for an unknown slug."""
    return REPORTS[slug].build(period=period, now=now)
