"""The offer lifecycle: staff propose a remedy (suggested by the policy), a manager approves it when it is above
the proposer's limit, the customer accepts or declines it on the tracking page, it expires unanswered, and it is
fulfilled (a voucher code issued, a credit recorded for billing, or a refund, repair or replacement done).

Each step locks the offer, checks the move in ``compensation.transitions``, records a timeline event and queues
its letters in the same transaction (sent after commit).
"""

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.calculations import Remedy
from compensation.models import DURATION_KINDS, MONEY_KINDS, CompensationOffer, OfferKind, OfferStatus
from compensation.money import round_money
from compensation.policy import remedy_for_complaint
from compensation.selectors import approval_limit_covers, can_approve_offers, offer_approvers
from compensation.transitions import OFFER_TRANSITIONS, OfferAction
from complaints.models import Category, Complaint, ComplaintEvent
from complaints.permissions import can_handle_complaints
from complaints.services.core import _lock, _notify_assignee, _queue_customer_letter, _touch, staff_letter_queue
from config.exceptions import ApplicationError, PermissionRefused, TransitionNotAllowed
from notifications.models import LetterKind, WebhookEventType
from notifications.webhooks import events as webhook_data
from notifications.webhooks.services import webhook_events_publish

# How long the customer has to answer an offer.
OFFER_VALID_FOR = timedelta(days=14)
# How long a voucher stays valid when the rule does not say.
VOUCHER_VALID_FOR = timedelta(days=180)
# Voucher codes: no 0/O, 1/I/L, so they can be read out on the phone; 12 characters is 60 bits.
VOUCHER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
VOUCHER_CODE_LENGTH = 12
# Fulfilled automatically when the customer accepts; the others are done by staff with a billing reference.
AUTO_FULFILLED_KINDS = (OfferKind.VOUCHER, OfferKind.SERVICE_CREDIT, OfferKind.FREE_PERIOD)
# Fulfilling these issues money to the customer: other systems hear of it as ``credit.issued``.
CREDIT_KINDS = (OfferKind.SERVICE_CREDIT, OfferKind.REFUND, OfferKind.PARTIAL_REFUND)
EVENT_FOR_ACTION = {
    OfferAction.REQUEST_APPROVAL: ComplaintEvent.Kind.OFFER_APPROVAL_REQUESTED,
    OfferAction.APPROVE: ComplaintEvent.Kind.OFFER_APPROVED,
    OfferAction.REJECT: ComplaintEvent.Kind.OFFER_REJECTED,
    OfferAction.WITHDRAW: ComplaintEvent.Kind.OFFER_WITHDRAWN,
    OfferAction.EXPIRE: ComplaintEvent.Kind.OFFER_EXPIRED,
    OfferAction.FULFIL: ComplaintEvent.Kind.OFFER_FULFILLED,
    OfferAction.ACCEPT: ComplaintEvent.Kind.OFFER_ACCEPTED,
    OfferAction.DECLINE: ComplaintEvent.Kind.OFFER_DECLINED,
}


def _offer_transition(offer: CompensationOffer, action: str, now: datetime, fields: Sequence[str] = ()) -> None:
    """Apply one move of the offer state machine to a locked offer and save it (with ``fields``)."""
    sources, target = OFFER_TRANSITIONS[action]
    if offer.status not in sources:
        raise TransitionNotAllowed(
            _("This offer is %(status)s: it cannot be changed that way.")
            % {"status": OfferStatus(offer.status).label.lower()}
        )
    offer.status = target
    offer.updated_at = now
    offer.save(update_fields=["status", "updated_at", *fields])


def _event(
    *,
    offer: CompensationOffer,
    complaint: Complaint,
    kind: str,
    now: datetime,
    actor: User | None = None,
    body: str = "",
    is_public: bool = False,
    by_customer: bool = False,
    **data: Any,
) -> ComplaintEvent:
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        is_public=is_public,
        by_customer=by_customer,
        author=actor,
        body=body,
        data={"offer_id": offer.pk, "offer": str(offer), "status": offer.status, **data},
        created_at=now,
    )


def _locked_offer(offer_id: int, complaint: Complaint | None = None) -> CompensationOffer:
    queryset = CompensationOffer.objects.select_for_update(of=("self",)).select_related("created_by")
    if complaint is not None:
        queryset = queryset.filter(complaint=complaint)
    offer = queryset.filter(pk=offer_id).first()
    if offer is None:
        raise ApplicationError(_("This offer is no longer available."))
    return offer


def _require_handler(actor: User) -> None:
    if not can_handle_complaints(actor):
        raise PermissionRefused(_("You do not have permission to handle complaints."))


def _limit_value(offer: CompensationOffer) -> tuple[Decimal | None, int | None]:
    return offer.amount, offer.duration_days


def offer_within_limit(*, user: User, offer: CompensationOffer) -> bool:
    """Whether ``user`` may send this offer (or approve it) without anyone else's approval."""
    amount, days = _limit_value(offer)
    return approval_limit_covers(user=user, kind=offer.kind, amount=amount, currency=offer.currency, duration_days=days)


def _outage_window(complaint: Complaint) -> tuple[datetime, datetime | None] | None:
    """The outage the complaint is about: the linked incident's window, else what the customer told us on the
    form (``details``: ``outage_started_at``, ``outage_ongoing`` "yes"/"no"/""; not ongoing or not sure: it
    lasted until they complained)."""
    if complaint.incident is not None:
        return complaint.incident.started_at, complaint.incident.ended_at
    started = complaint.details.get("outage_started_at")
    if not started:
        return None
    try:
        start = datetime.fromisoformat(str(started))
    except ValueError:
        return None
    if timezone.is_naive(start):
        start = timezone.make_aware(start)
    ongoing = complaint.details.get("outage_ongoing") == "yes"
    return start, None if ongoing else max(start, complaint.received_at)


def offer_suggest(*, complaint: Complaint, now: datetime | None = None) -> Remedy | None:
    """What our policy suggests offering for the complaint (None: no product known, or nothing to go on)."""
    now = now or timezone.now()
    purchase = complaint.purchase
    product = complaint.product or (purchase.product if purchase is not None else None)
    if product is None:
        return None
    return remedy_for_complaint(
        product=product,
        purchase=purchase,
        category=complaint.category,
        priority=complaint.priority,
        outage=_outage_window(complaint) if complaint.category == Category.SERVICE_OUTAGE else None,
        defect=complaint.category == Category.DEFECT,
        now=now,
    )


def _send(*, offer: CompensationOffer, complaint: Complaint, actor: User | None, now: datetime) -> None:
    """Approved → offered: the customer's letter with accept/decline on the tracking page."""
    offer.offered_at = now
    offer.expires_at = now + OFFER_VALID_FOR
    _offer_transition(offer, OfferAction.OFFER, now, ["offered_at", "expires_at"])
    event = _event(
        offer=offer,
        complaint=complaint,
        kind=ComplaintEvent.Kind.STAFF_REPLY,
        now=now,
        actor=actor,
        body=offer.reason,
        is_public=True,
        expires_at=offer.expires_at.isoformat(),
    )
    _queue_customer_letter(
        complaint=complaint, kind=LetterKind.OFFER, key=f"offer:{offer.pk}", offer=offer, event=event
    )


def _tell_proposer(*, offer: CompensationOffer, complaint: Complaint, approved: bool, reviewer: User) -> None:
    proposer = offer.created_by
    if proposer is None or proposer.pk == reviewer.pk:
        return
    staff_letter_queue(
        complaint=complaint,
        kind=LetterKind.OFFER_REVIEWED,
        user=proposer,
        idempotency_key=f"{LetterKind.OFFER_REVIEWED}:offer:{offer.pk}",
        offer=offer,
        approved=approved,
        proposer=proposer,
        reviewer=reviewer,
    )


def _ask_approvers(*, offer: CompensationOffer, complaint: Complaint, proposer: User) -> None:
    approvals_url = f"{settings.PUBLIC_BASE_URL}{reverse('dashboard:approvals')}"
    for approver in offer_approvers():
        if approver.pk == proposer.pk:
            continue
        staff_letter_queue(
            complaint=complaint,
            kind=LetterKind.OFFER_APPROVAL,
            user=approver,
            idempotency_key=f"{LetterKind.OFFER_APPROVAL}:offer:{offer.pk}:{approver.pk}",
            offer=offer,
            proposer=proposer,
            recipient=approver,
            approvals_url=approvals_url,
        )


@transaction.atomic
def offer_propose(
    *,
    complaint: Complaint | int,
    actor: User,
    kind: str,
    reason: str,
    amount: Decimal | None = None,
    currency: str = "",
    duration_days: int | None = None,
    now: datetime | None = None,
) -> CompensationOffer:
    """Propose a remedy, recorded beside what the policy suggests. Within the proposer's approval limit it is
    approved and offered to the customer at once (both steps on the timeline); above it, it waits for a manager
    (``offer_approve`` / ``offer_reject``), who is told by letter. Money is rounded once, half-up, to the
    currency's minor unit."""
    _require_handler(actor)
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
    now = now or timezone.now()
    code = (currency or (locked.purchase.currency if locked.purchase else settings.DEFAULT_CURRENCY)).upper()
    rounded = round_money(amount, code) if amount is not None and kind in MONEY_KINDS else None
    suggestion = offer_suggest(complaint=locked, now=now)
    offer = CompensationOffer.objects.create(
        complaint=locked,
        kind=kind,
        amount=rounded,
        currency=code,
        duration_days=duration_days if kind in DURATION_KINDS else None,
        suggested_kind=suggestion.kind if suggestion else "",
        suggested_amount=suggestion.amount if suggestion else None,
        suggested_duration_days=suggestion.duration_days if suggestion else None,
        suggestion_basis=suggestion.basis if suggestion else {},
        status=OfferStatus.DRAFT,
        reason=reason.strip(),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _touch(locked, now, [])
    _event(offer=offer, complaint=locked, kind=ComplaintEvent.Kind.OFFER_PROPOSED, now=now, actor=actor)
    if offer_within_limit(user=actor, offer=offer):
        offer.approved_by = actor
        offer.approved_at = now
        _offer_transition(offer, OfferAction.APPROVE, now, ["approved_by", "approved_at"])
        _event(
            offer=offer,
            complaint=locked,
            kind=ComplaintEvent.Kind.OFFER_APPROVED,
            now=now,
            actor=actor,
            within_limit=True,
        )
        _send(offer=offer, complaint=locked, actor=actor, now=now)
    else:
        _offer_transition(offer, OfferAction.REQUEST_APPROVAL, now)
        _event(offer=offer, complaint=locked, kind=ComplaintEvent.Kind.OFFER_APPROVAL_REQUESTED, now=now, actor=actor)
        _ask_approvers(offer=offer, complaint=locked, proposer=actor)
    return offer


def _require_approver(actor: User, offer: CompensationOffer) -> None:
    if not can_approve_offers(actor) or not offer_within_limit(user=actor, offer=offer):
        raise PermissionRefused(_("You do not have permission to approve this offer."))


@transaction.atomic
def offer_approve(*, offer_id: int, actor: User, now: datetime | None = None) -> CompensationOffer:
    """A manager approves an offer that waits for approval: it goes to the customer at once, and the proposer
    is told by letter."""
    offer = _locked_offer(offer_id)
    _require_approver(actor, offer)
    now = now or timezone.now()
    offer.approved_by = actor
    offer.approved_at = now
    _offer_transition(offer, OfferAction.APPROVE, now, ["approved_by", "approved_at"])
    locked = _lock(offer.complaint_id)
    _touch(locked, now, [])
    _event(offer=offer, complaint=locked, kind=ComplaintEvent.Kind.OFFER_APPROVED, now=now, actor=actor)
    _tell_proposer(offer=offer, complaint=locked, approved=True, reviewer=actor)
    _send(offer=offer, complaint=locked, actor=offer.created_by or actor, now=now)
    return offer


@transaction.atomic
def offer_reject(*, offer_id: int, actor: User, reason: str, now: datetime | None = None) -> CompensationOffer:
    """A manager does not approve an offer, with a reason the proposer reads (by letter and on the timeline).
    The customer never saw it; the proposer may propose something else."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Tell the proposer why the offer is not approved."), extra={"field": "reason"})
    offer = _locked_offer(offer_id)
    _require_approver(actor, offer)
    now = now or timezone.now()
    offer.approved_by = actor
    offer.approved_at = now
    offer.rejection_reason = reason
    _offer_transition(offer, OfferAction.REJECT, now, ["approved_by", "approved_at", "rejection_reason"])
    locked = _lock(offer.complaint_id)
    _touch(locked, now, [])
    _event(offer=offer, complaint=locked, kind=ComplaintEvent.Kind.OFFER_REJECTED, now=now, actor=actor, body=reason)
    _tell_proposer(offer=offer, complaint=locked, approved=False, reviewer=actor)
    return offer


@transaction.atomic
def offer_withdraw(*, offer_id: int, actor: User, reason: str = "", now: datetime | None = None) -> CompensationOffer:
    """Staff take back an offer the customer has not answered (a draft, one awaiting approval, approved, or
    offered). An offer the customer had seen is shown on the tracking page as withdrawn."""
    _require_handler(actor)
    offer = _locked_offer(offer_id)
    now = now or timezone.now()
    was_offered = offer.status == OfferStatus.OFFERED
    _offer_transition(offer, OfferAction.WITHDRAW, now)
    locked = _lock(offer.complaint_id)
    _touch(locked, now, [])
    _event(
        offer=offer,
        complaint=locked,
        kind=ComplaintEvent.Kind.OFFER_WITHDRAWN,
        now=now,
        actor=actor,
        body=reason.strip(),
        is_public=was_offered,
    )
    return offer


def _expire(offer: CompensationOffer, now: datetime) -> None:
    _offer_transition(offer, OfferAction.EXPIRE, now)
    locked = _lock(offer.complaint_id)
    _touch(locked, now, [])
    _event(offer=offer, complaint=locked, kind=ComplaintEvent.Kind.OFFER_EXPIRED, now=now, is_public=True)
    _queue_customer_letter(complaint=locked, kind=LetterKind.OFFER_EXPIRED, key=f"offer:{offer.pk}", offer=offer)


def offers_expire(*, now: datetime) -> int:
    """Expire every offer the customer did not answer in time (each in its own transaction; safe to run twice
    or two at once). Returns how many expired."""
    due = list(
        CompensationOffer.objects.filter(status=OfferStatus.OFFERED, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)
    )
    expired = 0
    for offer_id in due:
        with transaction.atomic():
            offer = CompensationOffer.objects.select_for_update(skip_locked=True).filter(pk=offer_id).first()
            if offer is None or offer.status != OfferStatus.OFFERED or offer.expires_at is None:
                continue
            if offer.expires_at > now:
                continue
            _expire(offer, now)
            expired += 1
    return expired


def _voucher_code() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_CODE_LENGTH))


def _voucher_valid_for(offer: CompensationOffer) -> timedelta:
    days = offer.suggestion_basis.get("expiry_days") if offer.suggested_kind == OfferKind.VOUCHER else None
    return timedelta(days=int(days)) if days else VOUCHER_VALID_FOR


def _fulfil(
    *, offer: CompensationOffer, complaint: Complaint, actor: User | None, billing_reference: str, now: datetime
) -> None:
    fields = ["fulfilled_at", "fulfilled_by", "billing_reference"]
    offer.fulfilled_at = now
    offer.fulfilled_by = actor
    if offer.kind == OfferKind.VOUCHER:
        code = _voucher_code()
        while CompensationOffer.objects.filter(voucher_code=code).exists():  # pragma: no cover (60 bits)
            code = _voucher_code()
        offer.voucher_code = code
        offer.voucher_expires_on = (now + _voucher_valid_for(offer)).date()
        fields += ["voucher_code", "voucher_expires_on"]
        billing_reference = billing_reference or f"VOUCHER-{code}"
    elif offer.kind in (OfferKind.SERVICE_CREDIT, OfferKind.FREE_PERIOD):
        billing_reference = billing_reference or f"CREDIT-{complaint.reference}-{offer.pk}"
    offer.billing_reference = billing_reference
    _offer_transition(offer, OfferAction.FULFIL, now, fields)
    _event(
        offer=offer,
        complaint=complaint,
        kind=ComplaintEvent.Kind.OFFER_FULFILLED,
        now=now,
        actor=actor,
        is_public=True,
        billing_reference=billing_reference,
    )
    _queue_customer_letter(complaint=complaint, kind=LetterKind.OFFER_FULFILLED, key=f"offer:{offer.pk}", offer=offer)


def _credit_events(offer: CompensationOffer, complaint: Complaint) -> list[tuple[str, dict[str, Any]]]:
    """The ``credit.issued`` event of a fulfilled offer that gave money (none for other kinds)."""
    if offer.kind not in CREDIT_KINDS:
        return []
    return [(WebhookEventType.CREDIT_ISSUED, webhook_data.credit_issued_for_offer(offer, complaint))]


@transaction.atomic
def offer_fulfil(
    *, offer_id: int, actor: User, billing_reference: str, now: datetime | None = None
) -> CompensationOffer:
    """Staff record that an accepted refund, repair, replacement or goodwill gesture was done, with the billing
    (or shipping) reference. Vouchers and credits are fulfilled on acceptance, by ``offer_decide``."""
    _require_handler(actor)
    billing_reference = billing_reference.strip()
    if not billing_reference:
        raise ApplicationError(
            _("Enter the billing or shipping reference of the refund, repair or replacement."),
            extra={"field": "billing_reference"},
        )
    offer = _locked_offer(offer_id)
    now = now or timezone.now()
    locked = _lock(offer.complaint_id)
    if offer.status != OfferStatus.ACCEPTED:
        raise TransitionNotAllowed(_("Only an offer the customer accepted can be fulfilled."))
    _fulfil(offer=offer, complaint=locked, actor=actor, billing_reference=billing_reference, now=now)
    _touch(locked, now, [])
    webhook_events_publish(events=_credit_events(offer, locked))
    return offer


def offer_decide(*, complaint: Complaint, offer_id: int, accept: bool, reason: str = "") -> CompensationOffer:
    """The customer accepts or declines an offer on their complaint (once, before it expires). The assignee is
    told by letter; an accepted voucher or credit is fulfilled at once (the code is in the next letter)."""
    now = timezone.now()
    with transaction.atomic():
        offer = _locked_offer(offer_id, complaint)
        if offer.status == OfferStatus.OFFERED and offer.expires_at is not None and offer.expires_at <= now:
            _expire(offer, now)
            expired = True
        else:
            expired = False
    if expired:
        raise ApplicationError(_("Sorry, this offer has expired. We will be in touch with a new one."))
    return _offer_decide(complaint=complaint, offer_id=offer_id, accept=accept, reason=reason, now=now)


@transaction.atomic
def _offer_decide(
    *, complaint: Complaint, offer_id: int, accept: bool, reason: str, now: datetime
) -> CompensationOffer:
    offer = _locked_offer(offer_id, complaint)
    if offer.status != OfferStatus.OFFERED:
        if offer.status in (OfferStatus.ACCEPTED, OfferStatus.DECLINED, OfferStatus.FULFILLED):
            raise ApplicationError(_("You have already answered this offer. Thank you!"))
        raise ApplicationError(_("This offer is no longer available."))
    reason = reason.strip()
    if not accept and not reason:
        raise ApplicationError(_("Please tell us why, so we can offer something better."), extra={"field": "reason"})
    offer.decided_at = now
    offer.decline_reason = "" if accept else reason
    _offer_transition(
        offer, OfferAction.ACCEPT if accept else OfferAction.DECLINE, now, ["decided_at", "decline_reason"]
    )
    locked = _lock(complaint)
    _touch(locked, now, [])
    event = _event(
        offer=offer,
        complaint=locked,
        kind=EVENT_FOR_ACTION[OfferAction.ACCEPT if accept else OfferAction.DECLINE],
        now=now,
        body=offer.decline_reason,
        is_public=True,
        by_customer=True,
    )
    _notify_assignee(
        complaint=locked, kind=LetterKind.OFFER_DECIDED, key=f"event:{event.pk}", offer=offer, accepted=accept
    )
    if accept:
        webhook_events = [(str(WebhookEventType.OFFER_ACCEPTED), webhook_data.offer_accepted(offer, locked))]
        if offer.kind in AUTO_FULFILLED_KINDS:
            _fulfil(offer=offer, complaint=locked, actor=None, billing_reference="", now=now)
            webhook_events += _credit_events(offer, locked)
        # One subscriber query for both events.
        webhook_events_publish(events=webhook_events)
    return offer
