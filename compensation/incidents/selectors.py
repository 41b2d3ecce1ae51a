"""Reads for incidents: the list and detail pages, a run's progress, and what a customer was already given."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from compensation.models import (
    Incident,
    IncidentAffected,
    IncidentCredit,
    IncidentEvent,
    IncidentRun,
    IncidentStatus,
    RunStatus,
)
from compensation.money import round_money
from complaints.models import Complaint
from customers.models import Product, Purchase


def _count(queryset: QuerySet[IncidentAffected] | QuerySet[IncidentCredit] | QuerySet[Complaint]) -> Subquery:
    return Subquery(
        queryset.order_by().values("incident_id").annotate(n=Count("*")).values("n")[:1],
        output_field=IntegerField(),
    )


def incident_list() -> QuerySet[Incident]:
    """Incidents, newest first, each with its affected customers, credits issued and linked complaints counted
    in the same query (correlated subqueries), and its products prefetched."""
    affected = IncidentAffected.objects.filter(incident_id=OuterRef("pk"))
    customers = Subquery(
        affected.order_by().values("incident_id").annotate(n=Count("customer_id", distinct=True)).values("n")[:1],
        output_field=IntegerField(),
    )
    return (
        Incident.objects.annotate(
            affected_customers=Coalesce(customers, Value(0)),
            credits_issued=Coalesce(
                _count(IncidentCredit.objects.filter(incident_id=OuterRef("pk"), amount__gt=0)), Value(0)
            ),
            complaints_linked=Coalesce(_count(Complaint.objects.filter(incident_id=OuterRef("pk"))), Value(0)),
        )
        .prefetch_related("products")
        .order_by("-started_at", "-id")
    )


def incident_get(*, pk: int) -> Incident | None:
    return incident_list().filter(pk=pk).first()


def incident_costs(*, incident_id: int) -> list[dict[str, Any]]:
    """What the incident's credits cost so far, per currency: ``[{"currency", "total", "count"}]``."""
    rows = (
        IncidentCredit.objects.filter(incident_id=incident_id, amount__gt=0)
        .values("currency")
        .annotate(total=Sum("amount"), count=Count("id"))
        .order_by("currency")
    )
    return [
        {"currency": row["currency"], "total": round_money(row["total"], row["currency"]), "count": row["count"]}
        for row in rows
    ]


def incident_costs_by_incident(*, incident_ids: list[int]) -> dict[int, list[tuple[str, Decimal]]]:
    """Credit totals per currency for several incidents, in one query."""
    totals: dict[int, list[tuple[str, Decimal]]] = {pk: [] for pk in incident_ids}
    rows = (
        IncidentCredit.objects.filter(incident_id__in=incident_ids, amount__gt=0)
        .values("incident_id", "currency")
        .annotate(total=Sum("amount"))
        .order_by("incident_id", "currency")
    )
    for row in rows:
        totals[row["incident_id"]].append((row["currency"], round_money(row["total"], row["currency"])))
    return totals


def incident_events(*, incident_id: int) -> QuerySet[IncidentEvent]:
    return IncidentEvent.objects.filter(incident_id=incident_id).select_related("actor").order_by("created_at", "id")


def incident_run_latest(*, incident_id: int) -> IncidentRun | None:
    return IncidentRun.objects.filter(incident_id=incident_id).order_by("-started_at", "-id").first()


def incident_run_is_running(*, incident_id: int) -> bool:
    return IncidentRun.objects.filter(incident_id=incident_id, status=RunStatus.RUNNING).exists()


def incident_complaints(*, incident_id: int, limit: int = 50) -> list[Complaint]:
    return list(
        Complaint.objects.filter(incident_id=incident_id).select_related("customer").order_by("-received_at")[:limit]
    )


def incident_affecting_customer(*, customer_id: int, now: datetime, days: int) -> Incident | None:
    """The latest incident, still going on or ended within ``days``, that affected one of the customer's
    subscriptions (its service period overlapped the outage), computed in the database."""
    overlapping = Purchase.objects.filter(
        customer_id=customer_id,
        product__kind=Product.Kind.SUBSCRIPTION,
        product__incidents=OuterRef("pk"),
        service_start__isnull=False,
        service_start__lt=Coalesce(OuterRef("ended_at"), Value(now)),
    ).filter(Q(service_end__isnull=True) | Q(service_end__gt=OuterRef("started_at")))
    recent = Q(status=IncidentStatus.ONGOING) | Q(ended_at__gte=now - timedelta(days=days))
    return Incident.objects.filter(recent).filter(Exists(overlapping)).order_by("-started_at", "-id").first()


@dataclass
class AlreadyGiven:
    """What a customer was already given for an incident: the apology's date and the credits per currency."""

    apologised_at: datetime | None = None
    credits: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def credit_text(self) -> str:
        return ", ".join(f"{total:.2f} {currency}" for currency, total in self.credits)


def incident_given_to_customer(*, incident_id: int | None, customer_id: int) -> AlreadyGiven | None:
    """The apology and credits a customer already had for an incident (two queries), or None if none yet."""
    if incident_id is None:
        return None
    apologised = (
        IncidentAffected.objects.filter(incident_id=incident_id, customer_id=customer_id, letter__isnull=False)
        .order_by("apologised_at")
        .values_list("apologised_at", flat=True)
        .first()
    )
    if apologised is None:
        return None
    credits = (
        IncidentCredit.objects.filter(incident_id=incident_id, customer_id=customer_id, amount__gt=0)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return AlreadyGiven(
        apologised_at=apologised,
        credits=[(row["currency"], round_money(row["total"], row["currency"])) for row in credits],
    )
