"""Retention after a complaint: of the customers whose complaint was resolved or declined in the period, the
share that bought again within 30, 90 and 180 days, split by whether they were compensated and whether every
promise was kept, beside customers who never complained.

A customer counts once, with their last complaint decided in the period; "bought again" is a purchase (a new
order or a renewed subscription, as the billing system records it) dated after the day of that decision and at
most N days later. A window counts only customers for whom it has fully passed, so recent periods are not
understated. Customers who never complained are counted from their first purchase in the period, the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    DateField,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from compensation.models import CompensationOffer, IncidentCredit, OfferStatus
from complaints.models import Complaint
from complaints.reports.base import Chart, Column, Figure, Period, Report, Table
from complaints.reports.passes import grouped
from complaints.reports.sla import PROMISES, broken_q
from complaints.reports.stats import percent
from complaints.reports.times import decided_in
from customers.models import Purchase

WINDOWS = (30, 90, 180)


# A customer who did not buy again within the longest window.
NOT_AGAIN = 0


def _window_of_next_purchase(reference: str) -> Subquery:
    """The shortest window (30, 90 or 180 days after the row's ``reference`` day) holding the row's customer's
    next purchase after that day, ``NOT_AGAIN`` when none does: one index lookup per row."""
    after = Purchase.objects.filter(customer_id=OuterRef("customer_id"), purchased_on__gt=OuterRef(reference))
    window = Case(
        *(
            When(
                purchased_on__lte=ExpressionWrapper(
                    OuterRef(reference) + timedelta(days=days), output_field=DateField()
                ),
                then=Value(days),
            )
            for days in WINDOWS
        ),
        default=Value(NOT_AGAIN),
        output_field=IntegerField(),
    )
    return Subquery(
        after.order_by("purchased_on").annotate(window=window).values("window")[:1], output_field=IntegerField()
    )


def _longest_window_passed(passed: Callable[[int], Q]) -> Case:
    """The longest window that has fully passed for the row (``passed(N)``), 0 when none has."""
    return Case(
        *(When(passed(days), then=Value(days)) for days in sorted(WINDOWS, reverse=True)),
        default=Value(0),
        output_field=IntegerField(),
    )


def complained_cohort(period: Period, now: datetime) -> QuerySet[Any]:
    """The last complaint decided in the period of each customer (a duplicate's earlier ones left out)."""
    decided = decided_in(period)
    later = decided.filter(customer_id=OuterRef("customer_id")).filter(
        Q(decided_at__gt=OuterRef("decided_at")) | Q(decided_at=OuterRef("decided_at"), id__gt=OuterRef("id"))
    )
    return decided.filter(~Exists(later)).annotate(decided_day=TruncDate("decided_at"))


def _complained_columns(now: datetime) -> dict[str, Any]:
    """Per customer: compensated (an offer accepted or fulfilled, or a credit for the complaint's incident), a
    promise broken, the window of their next purchase, and the longest window passed since the decision."""
    granted = CompensationOffer.objects.filter(
        complaint_id=OuterRef("pk"), status__in=[OfferStatus.ACCEPTED, OfferStatus.FULFILLED]
    )
    credited = IncidentCredit.objects.filter(
        customer_id=OuterRef("customer_id"), incident_id=OuterRef("incident_id"), amount__gt=0
    )
    any_broken = Q()
    for _key, moment, due in PROMISES:
        any_broken |= broken_q(moment, due, now)
    return {
        "compensated": ExpressionWrapper(Exists(granted) | Exists(credited), output_field=BooleanField()),
        "broken": ExpressionWrapper(any_broken, output_field=BooleanField()),
        "window": _window_of_next_purchase("decided_day"),
        "passed": _longest_window_passed(lambda days: Q(decided_at__lte=now - timedelta(days=days))),
    }


def never_complained_cohort(period: Period) -> QuerySet[Any]:
    """The first purchase in the period of each customer who never complained."""
    in_period = Purchase.objects.filter(purchased_on__gte=period.date_from, purchased_on__lte=period.date_to)
    earlier = in_period.filter(customer_id=OuterRef("customer_id")).filter(
        Q(purchased_on__lt=OuterRef("purchased_on")) | Q(purchased_on=OuterRef("purchased_on"), id__lt=OuterRef("id"))
    )
    return in_period.filter(~Exists(Complaint.objects.filter(customer_id=OuterRef("customer_id")))).filter(
        ~Exists(earlier)
    )


def _windows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Customers, and per window those for whom it passed (``matured_N``) and who bought again in it
    (``returned_N``), from rows counted by (window of the next purchase, longest window passed)."""
    totals: dict[str, Any] = {"customers": sum(row["n"] for row in rows)}
    for days in WINDOWS:
        matured = [row for row in rows if row["passed"] >= days]
        totals[f"matured_{days}"] = sum(row["n"] for row in matured)
        totals[f"returned_{days}"] = sum(
            row["n"] for row in matured if row["window"] not in (None, NOT_AGAIN) and row["window"] <= days
        )
    return totals


def _shares(row: dict[str, Any]) -> dict[str, Any]:
    return {f"within_{days}": percent(row[f"returned_{days}"], row[f"matured_{days}"]) for days in WINDOWS}


def report_retention(*, period: Period, now: datetime) -> Report:
    """Two passes: the customers who complained, counted by (compensated, promise broken, window of the next
    purchase, windows passed), and those who never did, by the last two."""
    today = timezone.localdate(now)
    complained_key = ("compensated", "broken", "window", "passed")
    groups = grouped(complained_cohort(period, now), columns=_complained_columns(now), groupings=[complained_key])[
        complained_key
    ]
    baseline = grouped(
        never_complained_cohort(period),
        columns={
            "window": _window_of_next_purchase("purchased_on"),
            "passed": _longest_window_passed(lambda days: Q(purchased_on__lte=today - timedelta(days=days))),
        },
        groupings=[("window", "passed")],
    )[("window", "passed")]

    def pick(compensated: bool | None = None, broken: bool | None = None) -> dict[str, Any]:
        return _windows(
            [
                row
                for row in groups
                if (compensated is None or row["compensated"] is compensated)
                and (broken is None or row["broken"] is broken)
            ]
        )

    lines = [
        ("complained", _("Complained (all)"), pick()),
        ("compensated", _("Compensated"), pick(compensated=True)),
        ("not_compensated", _("Not compensated"), pick(compensated=False)),
        ("kept", _("Every promise kept"), pick(broken=False)),
        ("broken", _("A promise broken"), pick(broken=True)),
        ("compensated_kept", _("Compensated, every promise kept"), pick(compensated=True, broken=False)),
        ("compensated_broken", _("Compensated, a promise broken"), pick(compensated=True, broken=True)),
        ("not_compensated_kept", _("Not compensated, every promise kept"), pick(compensated=False, broken=False)),
        ("not_compensated_broken", _("Not compensated, a promise broken"), pick(compensated=False, broken=True)),
        ("never_complained", _("Never complained"), _windows(baseline)),
    ]
    share_rows = [{"group": label, "customers": row["customers"], **_shares(row)} for _key, label, row in lines]
    detail_rows = [
        {
            "group": label,
            **{f"{kind}_{days}": row[f"{kind}_{days}"] for days in WINDOWS for kind in ("matured", "returned")},
        }
        for _key, label, row in lines
    ]
    by_key = {key: _shares(row) for key, _label, row in lines}

    window_label = _("Bought again within %(days)s days")
    return Report(
        slug="retention",
        title=_("Retention after a complaint"),
        description=_(
            "Of the customers whose complaint was resolved or declined in the period, the share that bought again"
            " (a new order or a renewed subscription) within 30, 90 and 180 days of the decision, beside customers"
            " who never complained (from their first purchase in the period). A window counts only the customers for"
            " whom it has fully passed."
        ),
        period=period,
        figures=[
            Figure(
                "complained_90",
                _("Complained, bought again within 90 days"),
                by_key["complained"]["within_90"],
                kind="percent",
            ),
            Figure(
                "compensated_90", _("Compensated, within 90 days"), by_key["compensated"]["within_90"], kind="percent"
            ),
            Figure("kept_90", _("Every promise kept, within 90 days"), by_key["kept"]["within_90"], kind="percent"),
            Figure(
                "never_90",
                _("Never complained, within 90 days"),
                by_key["never_complained"]["within_90"],
                kind="percent",
            ),
        ],
        tables=[
            Table(
                key="retention",
                title=_("Bought again"),
                columns=[
                    Column("group", _("Customers"), "text"),
                    Column("customers", _("Number"), "count"),
                    *(Column(f"within_{days}", window_label % {"days": days}, "percent") for days in WINDOWS),
                ],
                rows=share_rows,
                chart=Chart("bar", "group", tuple(f"within_{days}" for days in WINDOWS)),
            ),
            Table(
                key="counts",
                title=_("Customers counted in each window"),
                columns=[
                    Column("group", _("Customers"), "text"),
                    *(
                        column
                        for days in WINDOWS
                        for column in (
                            Column(f"matured_{days}", _("%(days)s days passed") % {"days": days}, "count"),
                            Column(
                                f"returned_{days}", _("bought again within %(days)s days") % {"days": days}, "count"
                            ),
                        )
                    ),
                ],
                rows=detail_rows,
                note=_("The shares above are the second number of each pair divided by the first."),
            ),
        ],
    )
