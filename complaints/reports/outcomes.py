"""How complaints end: outcome classes, reopenings, the customer's acceptance and rating, and what keeps going
wrong (root causes, the products they hit and the corrective actions taken)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from complaints.models import Outcome
from complaints.reports.base import Chart, Column, Figure, Period, Report, Table
from complaints.reports.passes import grouped
from complaints.reports.stats import percent
from complaints.reports.times import decided_in
from complaints.reports.volume import TRUNC, bucket_label
from complaints.selectors import root_cause_summary

RATINGS = (1, 2, 3, 4, 5)
# Products listed per root cause.
TOP_PRODUCTS = 3


def _sums() -> dict[str, Any]:
    return {
        "reopened": Q(reopen_count__gt=0),
        "accepted": Q(customer_accepted=True),
        "not_accepted": Q(customer_accepted=False),
        "rated": Q(rating__isnull=False),
        "rating_sum": Coalesce(F("rating"), Value(0)),
    }


def _average_rating(row: dict[str, Any]) -> float | None:
    return round(row["rating_sum"] / row["rated"], 2) if row["rated"] else None


def report_outcomes(*, period: Period, now: datetime) -> Report:
    """Over the complaints resolved or declined in the period: one pass here, and the root causes' summary."""
    passes = grouped(
        decided_in(period),
        columns={"bucket": TRUNC[period.group]("decided_at"), "outcome": "outcome", "rating": "rating"},
        sums=_sums(),
        groupings=[(), ("bucket",), ("outcome",), ("rating",)],
    )
    total = passes[()][0]
    by_outcome = {row["outcome"]: row["n"] for row in passes[("outcome",)]}
    by_rating = {row["rating"]: row["n"] for row in passes[("rating",)] if row["rating"] is not None}
    per_bucket = sorted(passes[("bucket",)], key=lambda row: row["bucket"])
    summary = root_cause_summary(
        date_from=period.date_from, date_to=period.date_to, top_products=TOP_PRODUCTS, latest_actions=1
    )

    decided_total = total["n"]
    outcome_rows = [
        {
            "outcome": str(label),
            "complaints": by_outcome.get(code, 0),
            "share": percent(by_outcome.get(code, 0), decided_total),
        }
        for code, label in Outcome.choices
    ]
    rated = sum(by_rating.values())
    rating_rows = [
        {"rating": str(stars), "complaints": by_rating.get(stars, 0), "share": percent(by_rating.get(stars, 0), rated)}
        for stars in RATINGS
    ]
    bucket_rows = [
        {
            "bucket": bucket_label(row["bucket"], period.group),
            "decided": row["n"],
            "reopen_rate": percent(row["reopened"], row["n"]),
            "accepted": percent(row["accepted"], row["accepted"] + row["not_accepted"]),
            "rating_avg": _average_rating(row),
            "response_rate": percent(row["rated"], row["n"]),
        }
        for row in per_bucket
    ]
    cause_rows = [
        {
            "root_cause": line.label,
            "complaints": line.total,
            **{f"outcome_{code}": count for code, count in zip(Outcome.values, line.by_outcome, strict=True)},
            "products": ", ".join(f"{p.name or _('No product named')} ({p.count})" for p in line.top_products),
            "latest_action": line.latest_actions[0].text if line.latest_actions else "",
            "latest_reference": line.latest_actions[0].reference if line.latest_actions else "",
        }
        for line in summary.lines
    ]

    accepted_share = percent(total["accepted"], total["accepted"] + total["not_accepted"])
    return Report(
        slug="outcomes",
        title=_("Outcomes and satisfaction"),
        description=_(
            "The complaints resolved or declined in the period, as each stands now: how they ended, how many were"
            " reopened, whether the customer accepted the outcome and how they rated it, and what keeps going wrong."
        ),
        period=period,
        figures=[
            Figure("decided", _("Resolved or declined"), decided_total),
            Figure("reopen_rate", _("Reopened"), percent(total["reopened"], decided_total), kind="percent"),
            Figure(
                "accepted",
                _("Accepted by the customer"),
                accepted_share,
                kind="percent",
                note=_("Of the complaints closed with the customer's answer recorded."),
            ),
            Figure("rating_avg", _("Average rating"), _average_rating(total), kind="rating"),
            Figure("response_rate", _("Rated by the customer"), percent(total["rated"], decided_total), kind="percent"),
        ],
        tables=[
            Table(
                key="by_outcome",
                title=_("By outcome"),
                columns=[
                    Column("outcome", _("Outcome"), "text"),
                    Column("complaints", _("Complaints"), "count"),
                    Column("share", _("Share"), "percent"),
                ],
                rows=outcome_rows,
                chart=Chart("pie", "outcome", ("complaints",)),
            ),
            Table(
                key="ratings",
                title=_("Ratings"),
                columns=[
                    Column("rating", _("Rating"), "text"),
                    Column("complaints", _("Complaints"), "count"),
                    Column("share", _("Share of those rated"), "percent"),
                ],
                rows=rating_rows,
                chart=Chart("bar", "rating", ("complaints",)),
            ),
            Table(
                key="by_period",
                title=_("Over time"),
                columns=[
                    Column("bucket", _("Period"), "text"),
                    Column("decided", _("Resolved or declined"), "count"),
                    Column("reopen_rate", _("Reopened"), "percent"),
                    Column("accepted", _("Accepted by the customer"), "percent"),
                    Column("rating_avg", _("Average rating"), "rating"),
                    Column("response_rate", _("Rated"), "percent"),
                ],
                rows=bucket_rows,
                chart=Chart("line", "bucket", ("reopen_rate", "accepted", "response_rate")),
            ),
            Table(
                key="root_causes",
                title=_("What keeps going wrong"),
                columns=[
                    Column("root_cause", _("Root cause"), "text"),
                    Column("complaints", _("Complaints"), "count"),
                    *(Column(f"outcome_{code}", str(label), "count") for code, label in Outcome.choices),
                    Column("products", _("Products most affected"), "text"),
                    Column("latest_action", _("Latest corrective action"), "text"),
                    Column("latest_reference", _("In complaint"), "text"),
                ],
                rows=cause_rows,
                chart=Chart("bar", "root_cause", ("complaints",)),
            ),
        ],
    )
