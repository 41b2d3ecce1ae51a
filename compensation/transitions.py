"""The offer state machine: the one table of allowed status changes of a compensation offer.

``compensation.services.offers._offer_transition`` is the only code that applies it; nothing else assigns
``CompensationOffer.status``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from compensation.models import OfferStatus


class OfferAction(models.TextChoices):
    REQUEST_APPROVAL = "request_approval", _("Ask for approval")
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Do not approve")
    OFFER = "offer", _("Send to the customer")
    ACCEPT = "accept", _("Accept")
    DECLINE = "decline", _("Decline")
    EXPIRE = "expire", _("Expire")
    FULFIL = "fulfil", _("Mark fulfilled")
    WITHDRAW = "withdraw", _("Withdraw")


OFFER_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    OfferAction.REQUEST_APPROVAL: (frozenset({OfferStatus.DRAFT}), OfferStatus.PENDING_APPROVAL),
    OfferAction.APPROVE: (frozenset({OfferStatus.DRAFT, OfferStatus.PENDING_APPROVAL}), OfferStatus.APPROVED),
    OfferAction.REJECT: (frozenset({OfferStatus.PENDING_APPROVAL}), OfferStatus.REJECTED),
    OfferAction.OFFER: (frozenset({OfferStatus.APPROVED}), OfferStatus.OFFERED),
    OfferAction.ACCEPT: (frozenset({OfferStatus.OFFERED}), OfferStatus.ACCEPTED),
    OfferAction.DECLINE: (frozenset({OfferStatus.OFFERED}), OfferStatus.DECLINED),
    OfferAction.EXPIRE: (frozenset({OfferStatus.OFFERED}), OfferStatus.EXPIRED),
    OfferAction.FULFIL: (frozenset({OfferStatus.ACCEPTED}), OfferStatus.FULFILLED),
    OfferAction.WITHDRAW: (
        frozenset({OfferStatus.DRAFT, OfferStatus.PENDING_APPROVAL, OfferStatus.APPROVED, OfferStatus.OFFERED}),
        OfferStatus.WITHDRAWN,
    ),
}


def offer_action_allowed(status: str, action: str) -> bool:
    sources, _target = OFFER_TRANSITIONS[action]
    return status in sources
