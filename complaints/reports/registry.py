"""The managers' reports by slug, in the order the reports page lists them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.reports.base import Period, Report
from complaints.reports.compensation import report_compensation
from complaints.reports.outcomes import report_outcomes
from complaints.reports.people import report_people
from complaints.reports.retention import report_retention
from complaints.reports.sla import report_sla
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


# Memory for each sort of a report's queries on PostgreSQL: a year of complaints sorts in memory, not on disk.
REPORT_WORK_MEM = "64MB"


def report_build(*, slug: str, period: Period, now: datetime) -> Report:
    """Build one report, its queries in one read-only transaction (one snapshot: the tables agree with each other;
    inside a caller's transaction, that one); ``KeyError`` for an unknown slug."""
    spec = REPORTS[slug]
    outermost = not connection.in_atomic_block
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if outermost:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                # Compiling the aggregates costs more than running them here (over a second on the retention query).
                cursor.execute(
                    "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)", [REPORT_WORK_MEM]
                )
        return spec.build(period=period, now=now)
