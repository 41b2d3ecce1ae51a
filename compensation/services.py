"""Writes for compensation offers: staff make an offer, the customer accepts or declines it.

The full lifecycle (policies, approvals above a proposer's limit, expiry, fulfilment) builds on these.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.models import DURATION_KINDS, MONEY_KINDS, CompensationOffer, OfferKind, OfferStatus
from complaints.models import Complaint, ComplaintEvent
from complaints.permissions import can_handle_complaints
from complaints.services.core import _lock, _notify_assignee, _queue_customer_letter, _touch
from config.exceptions import ApplicationError, PermissionRefused
from notifications.models import LetterKind


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def offer_make(
    *,
    complaint: Complaint | int,
    actor: User,
    kind: str,
    reason: str,
    amount: Decimal | None = None,
    currency: str = "",
    duration_days: int | None = None,
) -> CompensationOffer:
    """Offer the customer a remedy: recorded on the timeline and sent in a letter with accept/decline on the
    tracking page. Money is rounded once, half-up, to the currency's minor unit."""
    if not can_handle_complaints(actor):
        raise PermissionRefused(_("You do not have permission to handle complaints."))
    if kind not in OfferKind.values:
        raise ApplicationError(_("Choose what to offer."), extra={"field": "kind"})
    if kind in MONEY_KINDS and (amount is None or amount <= 0):
        raise ApplicationError(_("Enter the amount to offer."), extra={"field": "amount"})
    if kind in DURATION_KINDS and not duration_days:
        raise ApplicationError(_("Enter how many days of free service to offer."), extra={"field": "duration_days"})
    if not reason.strip():
        raise ApplicationError(_("Tell the customer what the offer is for."), extra={"field": "reason"})
    locked = _lock(complaint)
    if not locked.is_open and locked.status != "resolved":
        raise ApplicationError(_("Reopen the complaint before making a new offer."))
    now = timezone.now()
    offer = CompensationOffer.objects.create(
        complaint=locked,
        kind=kind,
        amount=_money(amount) if amount is not None and kind in MONEY_KINDS else None,
        currency=(currency or (locked.purchase.currency if locked.purchase else settings.DEFAULT_CURRENCY)).upper(),
        duration_days=duration_days if kind in DURATION_KINDS else None,
        status=OfferStatus.OFFERED,
        reason=reason.strip(),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _touch(locked, now, [])
    event = ComplaintEvent.objects.create(
        complaint=locked,
        kind=ComplaintEvent.Kind.STAFF_REPLY,
        is_public=True,
        author=actor,
        body=offer.reason,
        data={"offer_id": offer.pk, "offer": str(offer)},
        created_at=now,
    )
    _queue_customer_letter(complaint=locked, kind=LetterKind.OFFER, key=f"offer:{offer.pk}", offer=offer, event=event)
    return offer


@transaction.atomic
def offer_decide(*, complaint: Complaint, offer_id: int, accept: bool, reason: str = "") -> CompensationOffer:
    """The customer accepts or declines an offer on their complaint (once). The assignee is told by letter."""
    offer = CompensationOffer.objects.select_for_update().filter(pk=offer_id, complaint=complaint).first()
    if offer is None:
        raise ApplicationError(_("This offer is no longer available."))
    if offer.status != OfferStatus.OFFERED:
        raise ApplicationError(_("You have already answered this offer. Thank you!"))
    reason = reason.strip()
    if not accept and not reason:
        raise ApplicationError(_("Please tell us why, so we can offer something better."), extra={"field": "reason"})
    now = timezone.now()
    offer.status = OfferStatus.ACCEPTED if accept else OfferStatus.DECLINED
    offer.decided_at = now
    offer.decline_reason = "" if accept else reason
    offer.updated_at = now
    offer.save(update_fields=["status", "decided_at", "decline_reason", "updated_at"])
    locked = _lock(complaint)
    _touch(locked, now, [])
    event = ComplaintEvent.objects.create(
        complaint=locked,
        kind=ComplaintEvent.Kind.OFFER_ACCEPTED if accept else ComplaintEvent.Kind.OFFER_DECLINED,
        is_public=True,
        by_customer=True,
        body=offer.decline_reason,
        data={"offer_id": offer.pk, "offer": str(offer)},
        created_at=now,
    )
    _notify_assignee(
        complaint=locked, kind=LetterKind.OFFER_DECIDED, key=f"event:{event.pk}", offer=offer, accepted=accept
    )
    return offer
