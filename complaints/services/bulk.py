"""One staff action over many complaints at once (the queue's bulk bar).

Each complaint goes through the same single-complaint service a person would use on its page, so the state
machine, the timeline events and the letters are exactly those of one-by-one work. A refusal of one complaint
(its status does not allow the action, say) is reported for that row and undoes nothing else.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint, Priority
from complaints.permissions import can_handle_complaints
from complaints.services.core import (
    closing_values,
    complaint_assign,
    complaint_change_priority,
    complaint_transition,
)
from complaints.transitions import TRANSITIONS
from config.exceptions import ApplicationError, PermissionRefused

BULK_MAX_COMPLAINTS = 200


class BulkOperation(models.TextChoices):
    ASSIGN_TO_ME = "assign_to_me", _("Assign to me")
    ASSIGN = "assign", _("Assign to…")
    UNASSIGN = "unassign", _("Unassign")
    PRIORITY = "priority", _("Change priority")
    TRANSITION = "transition", _("Change status")


@dataclass(frozen=True)
class BulkOutcome:
    reference: str
    done: bool
    # Why the complaint was left as it was, in the language active during the call; empty when done.
    reason: str = ""


@dataclass(frozen=True)
class BulkResult:
    """Per-complaint outcomes, in the order the references were given (duplicates once)."""

    outcomes: list[BulkOutcome] = field(default_factory=list)

    @property
    def done(self) -> list[BulkOutcome]:
        return [outcome for outcome in self.outcomes if outcome.done]

    @property
    def refused(self) -> list[BulkOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.done]


def _assignee_get(assignee_id: int | None) -> User:
    if assignee_id is None:
        raise ApplicationError(_("Choose whom to assign the complaints to."), extra={"field": "assignee"})
    assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
    if assignee is None or not can_handle_complaints(assignee):
        raise ApplicationError(_("This person cannot handle complaints."), extra={"field": "assignee"})
    return assignee


@dataclass(frozen=True)
class _Closing:
    """What resolving, declining or closing the selected complaints records: one set for every row."""

    outcome: str = ""
    root_cause: str = ""
    corrective_action: str = ""
    customer_accepted: bool | None = None


def _operation_for(
    *,
    actor: User,
    operation: str,
    assignee_id: int | None,
    priority: str,
    action: str,
    comment: str,
    closing: _Closing,
) -> Callable[[int], object]:
    """The single-complaint service call for ``operation``, after checking what applies to every row alike."""
    if operation == BulkOperation.ASSIGN_TO_ME:
        return lambda pk: complaint_assign(complaint=pk, assignee=actor, actor=actor)
    if operation == BulkOperation.ASSIGN:
        # Fetched once: its permission check is then cached on the object for every row.
        assignee = _assignee_get(assignee_id)
        return lambda pk: complaint_assign(complaint=pk, assignee=assignee, actor=actor)
    if operation == BulkOperation.UNASSIGN:
        return lambda pk: complaint_assign(complaint=pk, assignee=None, actor=actor)
    if operation == BulkOperation.PRIORITY:
        if priority not in Priority.values:
            raise ApplicationError(_("Choose the new priority."), extra={"field": "priority"})
        return lambda pk: complaint_change_priority(complaint=pk, actor=actor, priority=priority, reason=comment)
    if operation == BulkOperation.TRANSITION:
        transition = TRANSITIONS.get(action)
        if transition is None or not transition.staff_action:
            raise ApplicationError(_("Choose an action."), extra={"field": "action"})
        # The same for every row: a missing outcome or root cause is said once, not once per complaint.
        closing_values(
            action=action,
            outcome=closing.outcome,
            root_cause=closing.root_cause,
            corrective_action=closing.corrective_action,
            customer_accepted=closing.customer_accepted,
        )
        return lambda pk: complaint_transition(
            complaint=pk,
            action=action,
            actor=actor,
            comment=comment,
            outcome=closing.outcome,
            root_cause=closing.root_cause,
            corrective_action=closing.corrective_action,
            customer_accepted=closing.customer_accepted,
        )
    raise ApplicationError(_("Choose what to do with the selected complaints."), extra={"field": "operation"})


@transaction.atomic
def complaint_bulk_apply(
    *,
    actor: User,
    references: Sequence[str],
    operation: str,
    assignee_id: int | None = None,
    priority: str = "",
    action: str = "",
    comment: str = "",
    outcome: str = "",
    root_cause: str = "",
    corrective_action: str = "",
    customer_accepted: bool | None = None,
) -> BulkResult:
    """Apply ``operation`` (a ``BulkOperation``) to each complaint in ``references``.

    ``assignee_id`` is for ``assign``; ``priority`` and ``comment`` (the reason) for ``priority``; ``action``
    and ``comment`` for ``transition``, with ``outcome``, ``root_cause`` and ``corrective_action`` to resolve,
    ``root_cause`` to decline and ``customer_accepted`` to close (one set for all rows, checked once). Raises
    ``ApplicationError`` only for what concerns the whole call (no permission, no references or more than
    ``BULK_MAX_COMPLAINTS``, an incomplete operation); everything about one complaint, an unknown reference
    included, is a refused outcome with its reason.

    Each service call is atomic, so inside this transaction it is a savepoint: a refused row is rolled back
    alone. Letters are queued as the services queue them and go out after the whole call commits.
    """
    if not can_handle_complaints(actor):
        raise PermissionRefused(_("You do not have permission to handle complaints."))
    wanted = list(dict.fromkeys(reference.strip() for reference in references if reference.strip()))
    if not wanted:
        raise ApplicationError(_("Select at least one complaint."), extra={"field": "references"})
    if len(wanted) > BULK_MAX_COMPLAINTS:
        raise ApplicationError(
            _("At most %(limit)d complaints can be changed at once.") % {"limit": BULK_MAX_COMPLAINTS},
            extra={"field": "references"},
        )
    apply = _operation_for(
        actor=actor,
        operation=operation,
        assignee_id=assignee_id,
        priority=priority,
        action=action,
        comment=comment,
        closing=_Closing(outcome, root_cause, corrective_action, customer_accepted),
    )
    ids = dict(Complaint.objects.filter(reference__in=wanted).values_list("reference", "pk"))

    outcomes: list[BulkOutcome] = []
    for reference in wanted:
        pk = ids.get(reference)
        if pk is None:
            outcomes.append(BulkOutcome(reference, done=False, reason=gettext("No complaint has this reference.")))
            continue
        try:
            apply(pk)
        except ApplicationError as exc:
            outcomes.append(BulkOutcome(reference, done=False, reason=str(exc.message)))
        else:
            outcomes.append(BulkOutcome(reference, done=True))
    return BulkResult(outcomes)
