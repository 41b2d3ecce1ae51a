"""The managers' reports by slug, in the order the reports page lists them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.reports.base import Period, Report
from complaints.reports.compensation import report_compensation
from complaints.reports.outcomes import report_outcomes
from complaints.reports.people import report_people
from complaints.reports.retention import report_retention
from complaints.reports.sla import report_sla
from complaints.reports.snapshot import report_transaction
from complaints.reports.times import report_times
from complaints.reports.volume import report_volume


@dataclass(frozen=True)
class ReportSpec:
    slug: str
    title: str | Promise
    build: Callable[..., Report]


REPORTS: dict[str, ReportSpec] = {
    spec.slug: spec
    for spec in (
        ReportSpec("volume", _("Volume"), report_volume),
        ReportSpec("sla", _("Promises kept"), report_sla),
        ReportSpec("times", _("Response and resolution times"), report_times),
        ReportSpec("outcomes", _("Outcomes and satisfaction"), report_outcomes),
        ReportSpec("compensation", _("Compensation"), report_compensation),
        ReportSpec("people", _("Agents and teams"), report_people),
        ReportSpec("retention", _("Retention after a complaint"), report_retention),
    )
}


def report_build(*, slug: str, period: Period, now: datetime) -> Report:
    """Build one report in one read-only snapshot (``report_transaction``); ``KeyError`` for an unknown slug."""
    spec = REPORTS[slug]
    with report_transaction():
        return spec.build(period=period, now=now)
