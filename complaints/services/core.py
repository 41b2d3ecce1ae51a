"""Writes by staff (replies, notes, assignment, status changes) and the shared machinery of all writes.

Each function is atomic, records what it did on the complaint's timeline, and queues the customer's letters
in the same transaction (the outbox), to be sent by a worker after commit.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    Category,
    Complaint,
    ComplaintEvent,
    Priority,
    ReferenceCounter,
    SlaPolicy,
    Status,
)
from complaints.permissions import can_handle_complaints
from complaints.tokens import staff_url, tracking_url
from complaints.transitions import TRANSITIONS, Action
from config.exceptions import ApplicationError, PermissionRefused, TransitionNotAllowed
from notifications.models import LetterKind
from notifications.services import letter_queue

# Used when no policy row exists for a priority (the migration creates them; an admin may delete one).
DEFAULT_SLA_MINUTES: dict[str, tuple[int, int]] = {
    Priority.URGENT: (60, 8 * 60),
    Priority.HIGH: (4 * 60, 24 * 60),
    Priority.NORMAL: (8 * 60, 3 * 24 * 60),
    Priority.LOW: (24 * 60, 7 * 24 * 60),
}


def reference_next(*, when: datetime) -> str:
    """The next reference number of ``when``'s year, e.g. ``RC-2026-000042``. Takes a row lock."""
    year = when.year
    ReferenceCounter.objects.get_or_create(year=year)
    counter = ReferenceCounter.objects.select_for_update().get(year=year)
    counter.last_number = F("last_number") + 1
    counter.save(update_fields=["last_number"])
    counter.refresh_from_db(fields=["last_number"])
    return f"RC-{year}-{counter.last_number:06d}"


def sla_due_times(*, priority: str, received_at: datetime) -> tuple[datetime, datetime]:
    """When the first response and the resolution are due for a complaint received at ``received_at``."""
    policy = SlaPolicy.objects.filter(priority=priority).first()
    if policy is not None:
        first, resolution = policy.first_response_minutes, policy.resolution_minutes
    else:
        first, resolution = DEFAULT_SLA_MINUTES[priority]
    return received_at + timedelta(minutes=first), received_at + timedelta(minutes=resolution)


def _initial_priority(*, category: str) -> str:
    # An outage hurts every hour it lasts: it goes to the front of the queue.
    return Priority.HIGH if category == Category.SERVICE_OUTAGE else Priority.NORMAL


def _letter_context(complaint: Complaint, **extra: Any) -> dict[str, Any]:
    return {
        "complaint": complaint,
        "customer": complaint.customer,
        "tracking_url": tracking_url(complaint),
        "first_response_due": complaint.first_response_due,
        **extra,
    }


def _queue_customer_letter(*, complaint: Complaint, kind: str, key: str, **extra: Any) -> None:
    letter_queue(
        complaint=complaint,
        kind=kind,
        recipient=complaint.customer.email,
        language=complaint.language,
        idempotency_key=f"{kind}:complaint:{complaint.pk}:{key}",
        context=_letter_context(complaint, **extra),
    )


def _notify_assignee(*, complaint: Complaint, kind: str, key: str, **extra: Any) -> None:
    """A letter to the complaint's assignee (in the site's language) about something the customer did."""
    assignee = complaint.assignee
    if assignee is None or not assignee.email:
        return
    letter_queue(
        complaint=complaint,
        kind=kind,
        recipient=assignee.email,
        language=settings.LANGUAGE_CODE,
        idempotency_key=f"{kind}:complaint:{complaint.pk}:{key}",
        context={**_letter_context(complaint, **extra), "staff_url": staff_url(complaint), "assignee": assignee},
    )


def _touch(complaint: Complaint, now: datetime, fields: list[str]) -> None:
    complaint.updated_at = now
    complaint.save(update_fields=[*fields, "updated_at"])


def _lock(complaint: Complaint | int) -> Complaint:
    pk = complaint if isinstance(complaint, int) else complaint.pk
    return Complaint.objects.select_for_update(of=("self",)).select_related("customer", "assignee").get(pk=pk)


def _require_handler(actor: User | None) -> None:
    if actor is not None and not can_handle_complaints(actor):
        raise PermissionRefused(_("You do not have permission to handle complaints."))


def _apply_transition(
    *,
    complaint: Complaint,
    action: str,
    actor: User | None,
    comment: str,
    now: datetime,
    by_customer: bool = False,
) -> ComplaintEvent:
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ApplicationError(_("Unknown action “%(action)s”.") % {"action": action}, extra={"action": action})
    if complaint.status not in transition.sources:
        raise TransitionNotAllowed(
            _("A complaint that is “%(status)s” cannot be changed with “%(action)s”.")
            % {"status": complaint.get_status_display(), "action": Action(action).label},
            extra={"status": complaint.status, "action": action},
        )
    comment = comment.strip()
    if transition.comment_required and not comment:
        raise ApplicationError(
            _("Please write the customer a message explaining this step."), extra={"field": "comment"}
        )

    previous = complaint.status
    complaint.status = transition.target
    fields = ["status"]
    if transition.target == Status.RESOLVED:
        complaint.resolved_at = now
        fields.append("resolved_at")
    elif transition.target in (Status.CLOSED, Status.REJECTED):
        complaint.closed_at = now
        fields.append("closed_at")
    elif action == Action.REOPEN:
        complaint.resolved_at = None
        complaint.closed_at = None
        fields += ["resolved_at", "closed_at"]
    if transition.letter and complaint.first_responded_at is None:
        complaint.first_responded_at = now
        fields.append("first_responded_at")
    _touch(complaint, now, fields)

    event = ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.STATUS_CHANGED,
        is_public=True,
        author=actor,
        by_customer=by_customer or action == Action.CUSTOMER_REPLIED,
        body=comment,
        from_status=previous,
        to_status=transition.target,
        data={"action": action},
        created_at=now,
    )
    if transition.letter:
        _queue_customer_letter(
            complaint=complaint, kind=transition.letter, key=f"event:{event.pk}", comment=comment, author=actor
        )
    return event


@transaction.atomic
def complaint_transition(
    *, complaint: Complaint | int, action: str, actor: User | None, comment: str = ""
) -> Complaint:
    """Apply one state-machine action (see ``complaints.transitions``).

    Raises ``TransitionNotAllowed`` when the current status does not allow it, ``ApplicationError`` when a
    required comment is missing. Records a timeline event and queues the customer's letter, if any.
    """
    _require_handler(actor)
    locked = _lock(complaint)
    _apply_transition(complaint=locked, action=action, actor=actor, comment=comment, now=timezone.now())
    return locked


@transaction.atomic
def complaint_reply(*, complaint: Complaint | int, author: User, body: str) -> ComplaintEvent:
    """A public reply from staff: on the timeline and in a letter. A new complaint is taken into work."""
    _require_handler(author)
    body = body.strip()
    if not body:
        raise ApplicationError(_("The reply is empty."), extra={"field": "body"})
    locked = _lock(complaint)
    now = timezone.now()
    if locked.status == Status.NEW:
        _apply_transition(complaint=locked, action=Action.START, actor=author, comment="", now=now)
    fields: list[str] = []
    if locked.first_responded_at is None:
        locked.first_responded_at = now
        fields.append("first_responded_at")
    _touch(locked, now, fields)
    event = ComplaintEvent.objects.create(
        complaint=locked,
        kind=ComplaintEvent.Kind.STAFF_REPLY,
        is_public=True,
        author=author,
        body=body,
        created_at=now,
    )
    _queue_customer_letter(
        complaint=locked, kind=LetterKind.REPLY, key=f"event:{event.pk}", message=body, author=author
    )
    return event


@transaction.atomic
def complaint_note_add(*, complaint: Complaint | int, author: User, body: str) -> ComplaintEvent:
    """An internal note: staff only, never shown or sent to the customer."""
    _require_handler(author)
    body = body.strip()
    if not body:
        raise ApplicationError(_("The note is empty."), extra={"field": "body"})
    locked = _lock(complaint)
    now = timezone.now()
    _touch(locked, now, [])
    return ComplaintEvent.objects.create(
        complaint=locked, kind=ComplaintEvent.Kind.INTERNAL_NOTE, author=author, body=body, created_at=now
    )


@transaction.atomic
def complaint_assign(*, complaint: Complaint | int, assignee: User | None, actor: User) -> Complaint:
    """Give the complaint to ``assignee`` (or nobody); recorded on the timeline as old → new."""
    _require_handler(actor)
    if assignee is not None and not can_handle_complaints(assignee):
        raise ApplicationError(_("This person cannot handle complaints."), extra={"field": "assignee"})
    locked = _lock(complaint)
    if locked.assignee_id == (assignee.pk if assignee else None):
        return locked
    previous = locked.assignee
    locked.assignee = assignee
    now = timezone.now()
    _touch(locked, now, ["assignee"])
    ComplaintEvent.objects.create(
        complaint=locked,
        kind=ComplaintEvent.Kind.ASSIGNED,
        author=actor,
        data={
            "from": previous.get_username() if previous else "",
            "to": assignee.get_username() if assignee else "",
            "from_name": (previous.get_full_name() or previous.get_username()) if previous else "",
            "to_name": (assignee.get_full_name() or assignee.get_username()) if assignee else "",
        },
        created_at=now,
    )
    return locked


# Fields staff may change with a reason, and the choices each accepts.
CHANGEABLE_FIELDS: dict[str, type[Priority] | type[Category]] = {"priority": Priority, "category": Category}


@transaction.atomic
def complaint_change_field(
    *, complaint: Complaint | int, actor: User, field: str, value: str, reason: str
) -> Complaint:
    """Change the complaint's priority or category, with the reason on the timeline (a staff-only
    ``FIELD_CHANGED`` event carrying ``{"field": …, "from": …, "to": …}``). The promised due times stay as they were.

    Raises ``ApplicationError`` for an unknown field or value or a missing reason. Setting the current value
    again changes and records nothing.
    """
    _require_handler(actor)
    choices = CHANGEABLE_FIELDS.get(field)
    if choices is None:
        raise ApplicationError(_("This field cannot be changed here."), extra={"field": "field"})
    if value not in choices.values:
        if field == "priority":
            message = _("Unknown priority “%(priority)s”.") % {"priority": value}
        else:
            message = _("Unknown category “%(category)s”.") % {"category": value}
        raise ApplicationError(message, extra={"field": field})
    reason = reason.strip()
    if not reason:
        if field == "priority":
            raise ApplicationError(_("Please give a reason for the new priority."), extra={"field": "reason"})
        raise ApplicationError(_("Please give a reason for the new category."), extra={"field": "reason"})
    locked = _lock(complaint)
    previous = getattr(locked, field)
    if previous == value:
        return locked
    setattr(locked, field, value)
    now = timezone.now()
    _touch(locked, now, [field])
    ComplaintEvent.objects.create(
        complaint=locked,
        kind=ComplaintEvent.Kind.FIELD_CHANGED,
        author=actor,
        body=reason,
        data={"field": field, "from": previous, "to": value},
        created_at=now,
    )
    return locked


def complaint_change_priority(*, complaint: Complaint | int, actor: User, priority: str, reason: str) -> Complaint:
    """Set the complaint's priority with a reason (see ``complaint_change_field``)."""
    return complaint_change_field(complaint=complaint, actor=actor, field="priority", value=priority, reason=reason)
