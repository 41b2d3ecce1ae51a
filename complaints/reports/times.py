"""How long it takes: median and 90th percentile of the time to acknowledgement, first response and
resolution, in working hours (the promise's business calendar) and on the clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from complaints.models import Complaint, Priority
from complaints.reports.base import Chart, Column, Figure, Period, Report, Table
from complaints.reports.passes import grouped
from complaints.reports.snapshot import side_by_side
from complaints.reports.stats import hours
from complaints.reports.volume import TRUNC, bucket_label, received_in


def decided_in(period: Period) -> QuerySet[Complaint]:
    """Complaints resolved or declined in the period (their last decision), duplicates merged away left out."""
    return Complaint.objects.filter(decided_at__gte=period.start, decided_at__lt=period.end, merged_into__isnull=True)


# The minutes of each step, on the clock and in working time.
RECEIVED_MEASURES = {
    "ack_w": "acknowledgement_working_minutes",
    "ack_c": "acknowledgement_minutes",
    "first_w": "first_response_working_minutes",
    "first_c": "first_response_minutes",
}
DECIDED_MEASURES = {"res_w": "resolution_working_minutes", "res_c": "resolution_minutes"}


def report_times(*, period: Period, now: datetime) -> Report:
    """Three passes, side by side on PostgreSQL: the complaints received in the period in all (acknowledgement and
    first response) and per bucket and priority (first response), and those decided in it (resolution) in all, per
    bucket and priority. Medians and 90th percentiles are PostgreSQL's ``percentile_cont``."""
    trunc = TRUNC[period.group]
    received = received_in(period)
    overall, first, decided = side_by_side(
        [
            lambda: grouped(received, columns=RECEIVED_MEASURES, groupings=[()], spreads=list(RECEIVED_MEASURES)),
            lambda: grouped(
                received,
                columns={
                    "bucket": trunc("received_at"),
                    "priority": "priority",
                    "first_w": RECEIVED_MEASURES["first_w"],
                },
                groupings=[("bucket",), ("priority",)],
                spreads=["first_w"],
            ),
            lambda: grouped(
                decided_in(period),
                columns={"bucket": trunc("decided_at"), "priority": "priority", **DECIDED_MEASURES},
                groupings=[(), ("bucket",), ("priority",)],
                spreads=list(DECIDED_MEASURES),
            ),
        ]
    )
    spreads = {**overall[()][0], **decided[()][0]}
    labels = {"ack": _("Acknowledgement"), "first": _("First response"), "res": _("Resolution")}
    step_rows: list[dict[str, Any]] = []
    measured: dict[str, int] = {}
    for step, label in labels.items():
        (count, clock), (_count, working) = spreads[f"{step}_c"], spreads[f"{step}_w"]
        measured[step] = count
        step_rows.append(
            {
                "step": label,
                "measured": count,
                "median_working": hours(working[0]),
                "p90_working": hours(working[1]),
                "median_clock": hours(clock[0]),
                "p90_clock": hours(clock[1]),
            }
        )

    none: tuple[int, list[float | None]] = (0, [None, None])
    first_by_bucket = {row["bucket"]: row["first_w"] for row in first[("bucket",)]}
    decided_by_bucket = {row["bucket"]: row for row in decided[("bucket",)]}
    bucket_rows = [
        {
            "bucket": bucket_label(bucket, period.group),
            "first_response_working": hours(first_by_bucket.get(bucket, none)[1][0]),
            "resolution_working": hours(decided_by_bucket.get(bucket, {}).get("res_w", none)[1][0]),
            "resolution_clock": hours(decided_by_bucket.get(bucket, {}).get("res_c", none)[1][0]),
        }
        for bucket in sorted(set(first_by_bucket) | set(decided_by_bucket))
    ]

    first_by_priority = {row["priority"]: row["first_w"] for row in first[("priority",)]}
    resolved_by_priority = {row["priority"]: row["res_w"] for row in decided[("priority",)]}
    priority_rows = []
    for code, priority_label in Priority.choices:
        if code not in first_by_priority and code not in resolved_by_priority:
            continue
        first_p, resolved_p = first_by_priority.get(code, none)[1], resolved_by_priority.get(code, none)[1]
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
            Figure("resolved", _("Resolved or declined"), measured["res"]),
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
