"""What making amends cost: compensation granted in the period by kind, currency and product, per complaint,
the offers' fate, and the credits given for incidents."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from compensation.models import CompensationOffer, IncidentCredit, OfferKind, OfferStatus
from compensation.money import round_money
from complaints.reports.base import Chart, Column, Figure, Period, Report, Table
from complaints.reports.stats import as_rows, percent
from complaints.reports.times import decided_in

GRANTED = (OfferStatus.ACCEPTED, OfferStatus.FULFILLED)
# The fate of offers made to customers (drafts and those never shown to the customer are left out).
FATES = (
    OfferStatus.OFFERED,
    OfferStatus.ACCEPTED,
    OfferStatus.FULFILLED,
    OfferStatus.DECLINED,
    OfferStatus.EXPIRED,
    OfferStatus.WITHDRAWN,
)


def _money(amount: Decimal | None, currency: str) -> Decimal:
    return round_money(amount or Decimal(0), currency)


def report_compensation(*, period: Period, now: datetime) -> Report:
    """Six queries: granted offers by kind and currency, by product, per complaint; offers' fate; decided
    complaints; incident credits."""
    granted = CompensationOffer.objects.filter(
        status__in=GRANTED, decided_at__gte=period.start, decided_at__lt=period.end
    )
    kind_rows: list[dict[str, Any]] = []
    for row in as_rows(
        granted.values("kind", "currency")
        .annotate(offers=Count("id"), amount=Sum("amount"), days=Sum("duration_days"))
        .order_by("kind", "currency")
    ):
        amount = _money(row["amount"], row["currency"])
        kind_rows.append(
            {
                "kind": str(OfferKind(row["kind"]).label),
                "currency": row["currency"],
                "offers": row["offers"],
                "amount": amount,
                "average": _money(amount / row["offers"], row["currency"]) if row["offers"] else None,
                "days": row["days"] or 0,
            }
        )

    product_rows = [
        {
            "product": row["complaint__product__name"] or _("No product named"),
            "currency": row["currency"],
            "complaints": row["complaints"],
            "offers": row["offers"],
            "amount": _money(row["amount"], row["currency"]),
        }
        for row in as_rows(
            granted.values("complaint__product__name", "currency")
            .annotate(complaints=Count("complaint_id", distinct=True), offers=Count("id"), amount=Sum("amount"))
            .order_by("-amount", "complaint__product__name")
        )
    ]

    decided_total = decided_in(period).count()
    per_complaint_rows = []
    for row in as_rows(
        granted.values("currency")
        .annotate(complaints=Count("complaint_id", distinct=True), amount=Sum("amount"))
        .order_by("currency")
    ):
        amount = _money(row["amount"], row["currency"])
        per_complaint_rows.append(
            {
                "currency": row["currency"],
                "complaints": row["complaints"],
                "amount": amount,
                "per_compensated": _money(amount / row["complaints"], row["currency"]) if row["complaints"] else None,
                "per_decided": _money(amount / decided_total, row["currency"]) if decided_total else None,
            }
        )

    fates = dict(
        CompensationOffer.objects.filter(offered_at__gte=period.start, offered_at__lt=period.end)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    offered_total = sum(fates.get(status, 0) for status in FATES)
    fate_rows = [
        {
            "status": str(OfferStatus(status).label),
            "offers": fates.get(status, 0),
            "share": percent(fates.get(status, 0), offered_total),
        }
        for status in FATES
    ]

    incident_rows = [
        {
            "incident": row["incident__title"],
            "started": row["incident__started_at"].date() if row["incident__started_at"] else None,
            "currency": row["currency"],
            "customers": row["customers"],
            "credits": row["credits"],
            "amount": _money(row["amount"], row["currency"]),
        }
        for row in as_rows(
            IncidentCredit.objects.filter(created_at__gte=period.start, created_at__lt=period.end, amount__gt=0)
            .values("incident_id", "incident__title", "incident__started_at", "currency")
            .annotate(customers=Count("customer_id", distinct=True), credits=Count("id"), amount=Sum("amount"))
            .order_by("-incident__started_at", "incident_id", "currency")
        )
    ]

    figures = [
        Figure(
            f"granted_{row['currency']}",
            _("Granted on complaints, %(currency)s") % {"currency": row["currency"]},
            row["amount"],
            kind="money",
            currency=row["currency"],
        )
        for row in per_complaint_rows
    ]
    incident_totals: dict[str, Decimal] = {}
    for row in incident_rows:
        incident_totals[row["currency"]] = incident_totals.get(row["currency"], Decimal(0)) + row["amount"]
    figures += [
        Figure(
            f"incidents_{currency}",
            _("Credited for incidents, %(currency)s") % {"currency": currency},
            amount,
            kind="money",
            currency=currency,
        )
        for currency, amount in sorted(incident_totals.items())
    ]
    figures.append(
        Figure(
            "accepted_share",
            _("Offers accepted"),
            percent(fates.get(OfferStatus.ACCEPTED, 0) + fates.get(OfferStatus.FULFILLED, 0), offered_total),
            kind="percent",
            note=_("Of the offers made in the period."),
        )
    )

    return Report(
        slug="compensation",
        title=_("Compensation"),
        description=_(
            "Compensation the customers accepted in the period (accepted or already fulfilled), by kind, product and"
            " currency and per complaint; what became of the offers made in the period; and the credits given to"
            " customers for incidents."
        ),
        period=period,
        figures=figures,
        tables=[
            Table(
                key="by_kind",
                title=_("By kind"),
                columns=[
                    Column("kind", _("Kind"), "text"),
                    Column("currency", _("Currency"), "text"),
                    Column("offers", _("Offers"), "count"),
                    Column("amount", _("Amount"), "money"),
                    Column("average", _("Average"), "money"),
                    Column("days", _("Days of service"), "count"),
                ],
                rows=kind_rows,
                chart=Chart("bar", "kind", ("amount",)),
            ),
            Table(
                key="by_product",
                title=_("By product"),
                columns=[
                    Column("product", _("Product"), "text"),
                    Column("currency", _("Currency"), "text"),
                    Column("complaints", _("Complaints compensated"), "count"),
                    Column("offers", _("Offers"), "count"),
                    Column("amount", _("Amount"), "money"),
                ],
                rows=product_rows,
                chart=Chart("bar", "product", ("amount",)),
            ),
            Table(
                key="per_complaint",
                title=_("Per complaint"),
                columns=[
                    Column("currency", _("Currency"), "text"),
                    Column("complaints", _("Complaints compensated"), "count"),
                    Column("amount", _("Amount"), "money"),
                    Column("per_compensated", _("Per complaint compensated"), "money"),
                    Column("per_decided", _("Per complaint resolved or declined"), "money"),
                ],
                rows=per_complaint_rows,
                note=ngettext(
                    "%(count)s complaint was resolved or declined in the period.",
                    "%(count)s complaints were resolved or declined in the period.",
                    decided_total,
                )
                % {"count": decided_total},
            ),
            Table(
                key="offers",
                title=_("What became of the offers"),
                columns=[
                    Column("status", _("Status now"), "text"),
                    Column("offers", _("Offers"), "count"),
                    Column("share", _("Share"), "percent"),
                ],
                rows=fate_rows,
                chart=Chart("pie", "status", ("offers",)),
            ),
            Table(
                key="incidents",
                title=_("Incidents' cost"),
                columns=[
                    Column("incident", _("Incident"), "text"),
                    Column("started", _("Started"), "date"),
                    Column("currency", _("Currency"), "text"),
                    Column("customers", _("Customers credited"), "count"),
                    Column("credits", _("Credits"), "count"),
                    Column("amount", _("Amount"), "money"),
                ],
                rows=incident_rows,
                chart=Chart("bar", "incident", ("amount",)),
                note=_("Credits recorded in the period, whenever the incident happened."),
            ),
        ],
    )
