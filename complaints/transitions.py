"""The complaint state machine: the one table of allowed status changes.

``complaints.services.complaint_transition`` is the only code that applies it; nothing else assigns
``Complaint.status``.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models import Status


class Action(models.TextChoices):
    START = "start", _("Start work")
    REQUEST_INFO = "request_info", _("Ask the customer")
    RESOLVE = "resolve", _("Resolve")
    CLOSE = "close", _("Close")
    REJECT = "reject", _("Decline")
    REOPEN = "reopen", _("Reopen")
    # Not a plain button: merging needs the complaint it is merged into (complaints.services.complaint_merge).
    MERGE = "merge", _("Merge into another complaint")
    # Not offered to staff: the customer's reply to a question moves the complaint on.
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    # A reason the customer will read, required for a refusal.
    comment_required: bool = False
    # Offered as a button or API action to staff.
    staff_action: bool = True
    # The letter kind (notifications.models.LetterKind) the customer gets, if any.
    letter: str = ""


OPEN = frozenset({Status.NEW, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER})

TRANSITIONS: dict[str, Transition] = {
    Action.START: Transition(frozenset({Status.NEW}), Status.IN_PROGRESS),
    Action.REQUEST_INFO: Transition(
        frozenset({Status.IN_PROGRESS}), Status.AWAITING_CUSTOMER, comment_required=True, letter="info_request"
    ),
    Action.RESOLVE: Transition(
        frozenset({Status.IN_PROGRESS, Status.AWAITING_CUSTOMER}), Status.RESOLVED, letter="resolution"
    ),
    Action.CLOSE: Transition(frozenset({Status.RESOLVED}), Status.CLOSED),
    Action.REJECT: Transition(OPEN, Status.REJECTED, comment_required=True, letter="rejection"),
    Action.REOPEN: Transition(
        frozenset({Status.RESOLVED, Status.CLOSED, Status.REJECTED}), Status.IN_PROGRESS, letter="reopened"
    ),
    Action.MERGE: Transition(OPEN, Status.CLOSED, staff_action=False, letter="merged"),
    Action.CUSTOMER_REPLIED: Transition(frozenset({Status.AWAITING_CUSTOMER}), Status.IN_PROGRESS, staff_action=False),
}


def allowed_actions(status: str) -> list[str]:
    """The staff actions allowed from ``status``, in the order the table lists them."""
    return [action for action, t in TRANSITIONS.items() if t.staff_action and status in t.sources]
