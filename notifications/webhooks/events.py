"""What each webhook event says: the ``data`` of its envelope, built from objects the caller already holds (no
queries). Payloads carry ids, references, statuses and money as a string beside its currency; never a secret,
a customer's tracking link or token, or personal details beyond ids."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from compensation.money import round_money

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from compensation.models import CompensationOffer, IncidentCredit
    from complaints.models import Complaint


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _money(amount: Decimal | None, currency: str) -> str | None:
    return str(round_money(amount, currency)) if amount is not None else None


def complaint_created(complaint: "Complaint") -> dict[str, Any]:
    """``complaint.created``: a complaint was received (web form, API)."""
    customer = complaint.customer
    return {
        "reference": complaint.reference,
        "status": complaint.status,
        "category": complaint.category,
        "priority": complaint.priority,
        "channel": complaint.channel,
        "language": complaint.language,
        "desired_resolution": complaint.desired_resolution,
        "received_at": _iso(complaint.received_at),
        "first_response_due": _iso(complaint.first_response_due),
        "resolution_due": _iso(complaint.resolution_due),
        "customer": {"id": customer.pk, "external_id": customer.external_id},
        "product": complaint.product.code if complaint.product is not None else None,
        "order_number": complaint.purchase.order_number if complaint.purchase is not None else None,
    }


def complaint_transitioned(
    complaint: "Complaint",
    *,
    from_status: str,
    action: str,
    actor: "User | None",
    by_customer: bool,
    changed_at: datetime,
) -> dict[str, Any]:
    """``complaint.transitioned``: a complaint's status changed (by staff, by the customer, or by the system)."""
    return {
        "reference": complaint.reference,
        "from_status": from_status,
        "to_status": complaint.status,
        "action": action,
        "actor": actor.get_username() if actor is not None else None,
        "by_customer": by_customer,
        "outcome": complaint.outcome or None,
        "changed_at": _iso(changed_at),
    }


def _offer(offer: "CompensationOffer", complaint: "Complaint") -> dict[str, Any]:
    return {
        "offer_id": offer.pk,
        "complaint": complaint.reference,
        "customer_id": complaint.customer_id,
        "kind": offer.kind,
        "amount": _money(offer.amount, offer.currency),
        "currency": offer.currency,
    }


def offer_accepted(offer: "CompensationOffer", complaint: "Complaint") -> dict[str, Any]:
    """``offer.accepted``: the customer accepted a compensation offer."""
    return {**_offer(offer, complaint), "duration_days": offer.duration_days, "accepted_at": _iso(offer.decided_at)}


def credit_issued_for_offer(offer: "CompensationOffer", complaint: "Complaint") -> dict[str, Any]:
    """``credit.issued`` for a fulfilled service credit, refund or partial refund."""
    return {
        "source": "offer",
        **_offer(offer, complaint),
        "billing_reference": offer.billing_reference,
        "issued_at": _iso(offer.fulfilled_at),
    }


def credit_issued_for_incident(credit: "IncidentCredit") -> dict[str, Any]:
    """``credit.issued`` for an incident's credit to one affected purchase (``credit.purchase`` loaded)."""
    return {
        "source": "incident",
        "incident_id": credit.incident_id,
        "customer_id": credit.customer_id,
        "order_number": credit.purchase.order_number,
        "purchase_external_id": credit.purchase.external_id,
        "kind": "service_credit",
        "amount": _money(credit.amount, credit.currency),
        "currency": credit.currency,
        "window_start": _iso(credit.window_start),
        "window_end": _iso(credit.window_end),
        "issued_at": _iso(credit.created_at),
    }
