"""Promises kept: of the complaints received in the period, the share acknowledged, first answered and
resolved within their promise; the broken ones by team and priority."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import F, Q
from django.utils.translation import gettext as _

from complaints.models import Priority, Team
from complaints.reports.base import Chart, Column, Figure, Period, Report, Table
from complaints.reports.passes import grouped
from complaints.reports.stats import percent
from complaints.reports.volume import TRUNC, bucket_label, received_in

# (key, the moment the promise was kept, its due time)
PROMISES: tuple[tuple[str, str, str], ...] = (
    ("acknowledgement", "acknowledged_at", "acknowledgement_due"),
    ("first_response", "first_responded_at", "first_response_due"),
    ("resolution", "decided_at", "resolution_due"),
)


def promise_labels() -> dict[str, str]:
    return {
        "acknowledgement": _("Acknowledgement"),
        "first_response": _("First response"),
        "resolution": _("Resolution"),
    }


def kept_q(moment: str, due: str) -> Q:
    """Done by its due time."""
    return Q(**{f"{moment}__isnull": False, f"{due}__isnull": False, f"{moment}__lte": F(due)})


def broken_q(moment: str, due: str, now: datetime) -> Q:
    """Done after its due time, or not done and the due time has passed."""
    return Q(**{f"{due}__isnull": False}) & (
        Q(**{f"{moment}__gt": F(due)}) | Q(**{f"{moment}__isnull": True, f"{due}__lt": now})
    )


def promise_flags(now: datetime) -> dict[str, Q]:
    """``<promise>_kept`` and ``<promise>_broken`` for every promise: the conditions counted in one pass."""
    flags: dict[str, Q] = {}
    for key, moment, due in PROMISES:
        flags[f"{key}_kept"] = kept_q(moment, due)
        flags[f"{key}_broken"] = broken_q(moment, due, now)
    return flags


def kept_share(row: Mapping[str, Any], key: str) -> float | None:
    kept, broken = row[f"{key}_kept"], row[f"{key}_broken"]
    return percent(kept, kept + broken)


def report_sla(*, period: Period, now: datetime) -> Report:
    """One pass over the period's complaints (in all, per bucket, per team, per priority) and the teams' names."""
    labels = promise_labels()
    passes = grouped(
        received_in(period),
        columns={"bucket": TRUNC[period.group]("received_at"), "team": "team_id", "priority": "priority"},
        sums=promise_flags(now),
        groupings=[(), ("bucket",), ("team",), ("priority",)],
    )
    total = passes[()][0]

    promise_rows = [
        {
            "promise": labels[key],
            "kept": total[f"{key}_kept"],
            "broken": total[f"{key}_broken"],
            "pending": total["n"] - total[f"{key}_kept"] - total[f"{key}_broken"],
            "share": kept_share(total, key),
        }
        for key, _moment, _due in PROMISES
    ]
    bucket_rows = [
        {
            "bucket": bucket_label(row["bucket"], period.group),
            "received": row["n"],
            **{key: kept_share(row, key) for key, _moment, _due in PROMISES},
        }
        for row in sorted(passes[("bucket",)], key=lambda row: row["bucket"])
    ]
    team_ids = [row["team"] for row in passes[("team",)] if row["team"] is not None]
    names = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
    team_rows = sorted(
        (
            {
                "team": names.get(row["team"]) or _("No team"),
                "received": row["n"],
                "first_response_broken": row["first_response_broken"],
                "resolution_broken": row["resolution_broken"],
                "first_response": kept_share(row, "first_response"),
                "resolution": kept_share(row, "resolution"),
            }
            for row in passes[("team",)]
        ),
        key=lambda row: (row["team"] == _("No team"), row["team"]),
    )
    by_priority = {row["priority"]: row for row in passes[("priority",)]}
    priority_rows = [
        {
            "priority": str(label),
            "received": by_priority[code]["n"],
            **{key: kept_share(by_priority[code], key) for key, _moment, _due in PROMISES},
        }
        for code, label in Priority.choices
        if code in by_priority
    ]

    share_columns = [Column(key, labels[key], "percent") for key, _moment, _due in PROMISES]
    broken_total = sum(total[f"{key}_broken"] for key, _moment, _due in PROMISES)
    return Report(
        slug="sla",
        title=_("Promises kept"),
        description=_(
            "Of the complaints received in the period, the share acknowledged, first answered and resolved within"
            " the time promised. A promise not yet due is left out until it is kept or broken."
        ),
        period=period,
        figures=[
            *(Figure(key, labels[key], kept_share(total, key), kind="percent") for key, _moment, _due in PROMISES),
            Figure("broken", _("Promises broken"), broken_total),
        ],
        tables=[
            Table(
                key="promises",
                title=_("Each promise"),
                columns=[
                    Column("promise", _("Promise"), "text"),
                    Column("kept", _("Kept"), "count"),
                    Column("broken", _("Broken"), "count"),
                    Column("pending", _("Not yet due"), "count"),
                    Column("share", _("Share kept"), "percent"),
                ],
                rows=promise_rows,
                chart=Chart("stacked", "promise", ("kept", "broken", "pending")),
            ),
            Table(
                key="by_period",
                title=_("Share kept over time"),
                columns=[
                    Column("bucket", _("Period"), "text"),
                    Column("received", _("Complaints"), "count"),
                    *share_columns,
                ],
                rows=bucket_rows,
                chart=Chart("line", "bucket", tuple(key for key, _moment, _due in PROMISES)),
            ),
            Table(
                key="by_team",
                title=_("Broken promises by team"),
                columns=[
                    Column("team", _("Team"), "text"),
                    Column("received", _("Complaints"), "count"),
                    Column("first_response_broken", _("First response late"), "count"),
                    Column("resolution_broken", _("Resolution late"), "count"),
                    Column("first_response", _("First response kept"), "percent"),
                    Column("resolution", _("Resolution kept"), "percent"),
                ],
                rows=team_rows,
                chart=Chart("bar", "team", ("first_response_broken", "resolution_broken")),
            ),
            Table(
                key="by_priority",
                title=_("By priority"),
                columns=[
                    Column("priority", _("Priority"), "text"),
                    Column("received", _("Complaints"), "count"),
                    *share_columns,
                ],
                rows=priority_rows,
                chart=Chart("bar", "priority", tuple(key for key, _moment, _due in PROMISES)),
            ),
        ],
    )
