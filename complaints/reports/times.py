"""How long it takes: median and 90th percentile of the time to acknowledgement, first response and
resolution, in working hours (the promise's business calendar) and on the clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from complaints.models import Complaint, Priority
from complaints.reports.base import Chart, Column, Figure, Period, Report, Table
from complaints.reports.stats import hours, quantiles_by, quantiles_of
from complaints.reports.volume import TRUNC, bucket_label, received_in


def decided_in(period: Period) -> QuerySet[Complaint]:
    """Complaints resolved or declined in the period (their last decision), duplicates merged away left out."""
    return Complaint.objects.filter(decided_at__gte=period.start, decided_at__lt=period.end, merged_into__isnull=True)


def report_times(*, period: Period, now: datetime) -> Report:
    """Two queries for the steps (one sort per measure), two per bucket and two per priority."""
    received = quantiles_of(
        received_in(period),
        [
            f"{step}{suffix}"
            for step in ("acknowledgement", "first_response")
            for suffix in ("_working_minutes", "_minutes")
        ],
    )
    decided = quantiles_of(decided_in(period), ["resolution_working_minutes", "resolution_minutes"])
    spreads = {**received, **decided}
    labels = {
        "acknowledgement": _("Acknowledgement"),
        "first_response": _("First response"),
        "resolution": _("Resolution"),
    }
    step_rows: list[dict[str, Any]] = []
    measured: dict[str, int] = {}
    for step, label in labels.items():
        working, clock = spreads[f"{step}_working_minutes"], spreads[f"{step}_minutes"]
        measured[step] = clock.count
        step_rows.append(
            {
                "step": label,
                "measured": clock.count,
                "median_working": hours(working.quantiles[0]),
                "p90_working": hours(working.quantiles[1]),
                "median_clock": hours(clock.quantiles[0]),
                "p90_clock": hours(clock.quantiles[1]),
            }
        )

    trunc = TRUNC[period.group]
    first = quantiles_by(
        received_in(period).annotate(bucket=trunc("received_at")), "bucket", ["first_response_working_minutes"]
    )
    resolved = quantiles_by(
        decided_in(period).annotate(bucket=trunc("decided_at")),
        "bucket",
        ["resolution_working_minutes", "resolution_minutes"],
    )
    bucket_rows = []
    for bucket in sorted(set(first) | set(resolved), key=lambda moment: moment):  # type: ignore[arg-type, return-value]
        first_q = first.get(bucket, {}).get("first_response_working_minutes", [None, None])
        resolved_q = resolved.get(bucket, {})
        bucket_rows.append(
            {
                "bucket": bucket_label(bucket, period.group),  # type: ignore[arg-type]
                "first_response_working": hours(first_q[0]),
                "resolution_working": hours(resolved_q.get("resolution_working_minutes", [None])[0]),
                "resolution_clock": hours(resolved_q.get("resolution_minutes", [None])[0]),
            }
        )

    first_by_priority = quantiles_by(received_in(period), "priority", ["first_response_working_minutes"])
    resolved_by_priority = quantiles_by(decided_in(period), "priority", ["resolution_working_minutes"])
    priority_rows = []
    for code, priority_label in Priority.choices:
        if code not in first_by_priority and code not in resolved_by_priority:
            continue
        first_p = first_by_priority.get(code, {}).get("first_response_working_minutes", [None, None])
        resolved_p = resolved_by_priority.get(code, {}).get("resolution_working_minutes", [None, None])
        priority_rows.append(
            {
                "priority": str(priority_label),
                "first_response_median": hours(first_p[0]),
                "first_response_p90": hours(first_p[1]),
                "resolution_median": hours(resolved_p[0]),
                "resolution_p90": hours(resolved_p[1]),
            }
        )

    by_step = {row["step"]: row for row in step_rows}
    first_label, resolution_label = _("First response"), _("Resolution")
    return Report(
        slug="times",
        title=_("Response and resolution times"),
        description=_(
            "Median and 90th percentile, in working hours of each complaint's promise and in hours on the clock."
            " Acknowledgement and first response are measured on the complaints received in the period; resolution"
            " on the complaints resolved or declined in it."
        ),
        period=period,
        figures=[
            Figure(
                "first_response_median",
                _("First response, median working hours"),
                by_step[first_label]["median_working"],
                kind="hours",
            ),
            Figure(
                "resolution_median",
                _("Resolution, median working hours"),
                by_step[resolution_label]["median_working"],
                kind="hours",
            ),
            Figure(
                "resolution_p90",
                _("Resolution, 90th percentile, working hours"),
                by_step[resolution_label]["p90_working"],
                kind="hours",
            ),
            Figure("resolved", _("Resolved or declined"), measured["resolution"]),
        ],
        tables=[
            Table(
                key="steps",
                title=_("Each step"),
                columns=[
                    Column("step", _("Step"), "text"),
                    Column("measured", _("Complaints"), "count"),
                    Column("median_working", _("Median, working hours"), "hours"),
                    Column("p90_working", _("90th percentile, working hours"), "hours"),
                    Column("median_clock", _("Median, hours"), "hours"),
                    Column("p90_clock", _("90th percentile, hours"), "hours"),
                ],
                rows=step_rows,
                chart=Chart("bar", "step", ("median_working", "p90_working")),
            ),
            Table(
                key="by_period",
                title=_("Medians over time"),
                columns=[
                    Column("bucket", _("Period"), "text"),
                    Column("first_response_working", _("First response, working hours"), "hours"),
                    Column("resolution_working", _("Resolution, working hours"), "hours"),
                    Column("resolution_clock", _("Resolution, hours"), "hours"),
                ],
                rows=bucket_rows,
                chart=Chart("line", "bucket", ("first_response_working", "resolution_working")),
            ),
            Table(
                key="by_priority",
                title=_("By priority, working hours"),
                columns=[
                    Column("priority", _("Priority"), "text"),
                    Column("first_response_median", _("First response, median"), "hours"),
                    Column("first_response_p90", _("First response, 90th percentile"), "hours"),
                    Column("resolution_median", _("Resolution, median"), "hours"),
                    Column("resolution_p90", _("Resolution, 90th percentile"), "hours"),
                ],
                rows=priority_rows,
                chart=Chart("bar", "priority", ("first_response_median", "resolution_median")),
            ),
        ],
    )
