"""Writes by staff (replies, notes, assignment, status changes) and the shared machinery of all writes.

Each function is atomic, records what it did on the complaint's timeline, and queues the customer's letters
in the same transaction (the outbox), to be sent by a worker after commit.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.models import Incident
from complaints.models import (
    Category,
    Complaint,
    ComplaintEvent,
    Outcome,
    Priority,
    ReferenceCounter,
    RootCause,
    SlaPolicy,
    Status,
)
from complaints.permissions import can_handle_complaints
from complaints.sla import (
    add_working_minutes,
    elapsed_fields,
    working_minutes_between,
    working_time_for,
)
from complaints.tokens import staff_url, tracking_url
from complaints.transitions import TRANSITIONS, Action
from config.exceptions import ApplicationError, PermissionRefused, TransitionNotAllowed
from notifications.models import LetterKind, WebhookEventType
from notifications.services import letter_queue
from notifications.webhooks import events as webhook_data
from notifications.webhooks.services import webhook_event_publish

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


def sla_policy_for(*, priority: str, category: str, product_id: int | None) -> SlaPolicy:
    """The response-time promise for a complaint: the product's row, else the category's, else the priority's
    general row, else the built-in defaults (an unsaved policy, around the clock). One query."""
    scope = Q(category="", product__isnull=True) | Q(category=category, product__isnull=True)
    if product_id is not None:
        scope |= Q(product_id=product_id)
    rows = list(SlaPolicy.objects.filter(scope, priority=priority).select_related("calendar"))

    def rank(policy: SlaPolicy) -> int:
        return 0 if policy.product_id is not None else 1 if policy.category else 2

    if rows:
        return min(rows, key=rank)
    first, resolution = DEFAULT_SLA_MINUTES[priority]
    return SlaPolicy(priority=priority, first_response_minutes=first, resolution_minutes=resolution)


# The due times a promise sets from the moment a complaint is received, and the target each one counts.
SLA_TARGETS = (
    ("acknowledgement_due", "acknowledgement_minutes"),
    ("first_response_due", "first_response_minutes"),
    ("resolution_due", "resolution_minutes"),
)
SLA_FIELDS = ["sla_policy", *(due for due, _minutes in SLA_TARGETS), "next_response_due"]


def _next_response_minutes(policy: SlaPolicy) -> int:
    return policy.next_response_minutes or policy.first_response_minutes


def sla_schedule(
    complaint: Complaint,
    now: datetime,
    *,
    breached_before: datetime | None = None,
    customer_wrote_at: datetime | None = None,
) -> list[str]:
    """Choose the complaint's promise (``sla_policy_for``) and set its due times from ``received_at``: each is
    the target plus the working minutes the clock was paused so far, in the promise's working time. Returns
    the fields changed (not saved).

    A due time that had already passed at ``breached_before`` (the start of a pause) stays as it was: it was
    missed before the clock stopped. ``next_response_due``, owed after the customer's message at
    ``customer_wrote_at``, is recomputed when given (a new priority) and kept otherwise.
    """
    policy = sla_policy_for(priority=complaint.priority, category=complaint.category, product_id=complaint.product_id)
    working = working_time_for(policy.calendar)
    complaint.sla_policy = policy if policy.pk is not None else None
    for due_field, minutes_field in SLA_TARGETS:
        previous = getattr(complaint, due_field)
        if breached_before is not None and previous is not None and previous <= breached_before:
            continue
        minutes = getattr(policy, minutes_field) + complaint.sla_paused_minutes
        setattr(complaint, due_field, add_working_minutes(working, complaint.received_at, minutes))
    if customer_wrote_at is not None and complaint.next_response_due is not None:
        complaint.next_response_due = add_working_minutes(working, customer_wrote_at, _next_response_minutes(policy))
    return list(SLA_FIELDS)


def sla_pause(complaint: Complaint, now: datetime) -> list[str]:
    """Stop the complaint's clock (we wait for the customer). Returns the fields changed (not saved)."""
    if complaint.sla_paused_at is not None:
        return []
    complaint.sla_paused_at = now
    return ["sla_paused_at"]


def sla_resume(complaint: Complaint, now: datetime) -> list[str]:
    """Start the clock again: the working minutes of the pause are added to the due times (those already
    missed when it began stay). Returns the fields changed (not saved)."""
    paused_at = complaint.sla_paused_at
    if paused_at is None:
        return []
    policy = sla_policy_for(priority=complaint.priority, category=complaint.category, product_id=complaint.product_id)
    complaint.sla_paused_minutes += working_minutes_between(working_time_for(policy.calendar), paused_at, now)
    complaint.sla_paused_at = None
    return ["sla_paused_at", "sla_paused_minutes", *sla_schedule(complaint, now, breached_before=paused_at)]


def sla_due_iso(complaint: Complaint) -> dict[str, str | None]:
    """The complaint's due times for a timeline event's data."""
    names = [due for due, _minutes in SLA_TARGETS] + ["next_response_due"]
    return {name: value.isoformat() if (value := getattr(complaint, name)) else None for name in names}


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


def staff_letter_queue(*, complaint: Complaint, kind: str, user: User, idempotency_key: str, **extra: Any) -> None:
    """A letter about a complaint to a member of staff (in the site's language), with the complaint, its customer
    and the link to its staff page in the context; nothing for someone without an email address."""
    if not user.email:
        return
    letter_queue(
        complaint=complaint,
        kind=kind,
        recipient=user.email,
        language=settings.LANGUAGE_CODE,
        idempotency_key=idempotency_key,
        context={**_letter_context(complaint, **extra), "staff_url": staff_url(complaint)},
    )


def _notify_assignee(*, complaint: Complaint, kind: str, key: str, **extra: Any) -> None:
    """A letter to the complaint's assignee about something the customer did."""
    assignee = complaint.assignee
    if assignee is None:
        return
    staff_letter_queue(
        complaint=complaint,
        kind=kind,
        user=assignee,
        idempotency_key=f"{kind}:complaint:{complaint.pk}:{key}",
        assignee=assignee,
        **extra,
    )


def _stamp_elapsed(complaint: Complaint, steps: dict[str, datetime | None]) -> list[str]:
    """Fix how long each step took from receipt to its moment (``None`` clears it), on the clock and on the
    working time of the complaint's promise; returns the fields set (not saved)."""
    calendar_id = None
    if complaint.sla_policy_id is not None and any(moment is not None for moment in steps.values()):
        calendar_id = SlaPolicy.objects.filter(pk=complaint.sla_policy_id).values_list("calendar_id", flat=True).first()
    fields = elapsed_fields(received_at=complaint.received_at, calendar_id=calendar_id, steps=steps)
    for name, value in fields.items():
        setattr(complaint, name, value)
    return list(fields)


def _touch(complaint: Complaint, now: datetime, fields: list[str]) -> None:
    complaint.updated_at = now
    complaint.save(update_fields=[*fields, "updated_at"])


def _record_field_change(
    *,
    complaint: Complaint,
    actor: User | None,
    field: str,
    old: str,
    new: str,
    reason: str = "",
    now: datetime,
    **extra: Any,
) -> ComplaintEvent:
    """The staff-only ``FIELD_CHANGED`` timeline event every change of a field writes: who, when, old → new, why
    (``data``: ``{"field", "from", "to", **extra}``)."""
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.FIELD_CHANGED,
        author=actor,
        body=reason,
        data={"field": field, "from": old, "to": new, **extra},
        created_at=now,
    )


def _lock(complaint: Complaint | int) -> Complaint:
    pk = complaint if isinstance(complaint, int) else complaint.pk
    return Complaint.objects.select_for_update(of=("self",)).select_related("customer", "assignee").get(pk=pk)


def _require_handler(actor: User | None) -> None:
    if actor is not None and not can_handle_complaints(actor):
        raise PermissionRefused(_("You do not have permission to handle complaints."))


# How long after a resolution, a refusal or a closure the customer may reopen (or appeal) from the tracking page.
REOPEN_WINDOW = timedelta(days=14)

# Closing the loop: what a resolution or a refusal records, and a closure's answer from the customer.
CLOSING_FIELDS = ("outcome", "root_cause", "corrective_action", "customer_accepted")
# The outcomes of a resolution; a refusal is always ``Outcome.REJECTED``.
RESOLVE_OUTCOMES = (Outcome.EXPLAINED, Outcome.NON_MONETARY, Outcome.MONETARY)


def _root_cause_checked(root_cause: str) -> str:
    if not root_cause:
        raise ApplicationError(_("Choose the root cause: what went wrong?"), extra={"field": "root_cause"})
    if root_cause not in RootCause.values:
        raise ApplicationError(
            _("Unknown root cause “%(root_cause)s”.") % {"root_cause": root_cause}, extra={"field": "root_cause"}
        )
    return root_cause


def closing_values(
    *,
    action: str,
    outcome: str = "",
    root_cause: str = "",
    corrective_action: str = "",
    customer_accepted: bool | None = None,
) -> dict[str, Any]:
    """What ``action`` records on the complaint to close the loop, checked; ``{}`` for the other actions, which
    ignore these fields.

    Resolving needs an outcome (explained, non-monetary or monetary relief), a root cause and the corrective
    action taken; declining needs a root cause ("no fault found" is one), its outcome is always "rejected with
    reasons" and the corrective action is optional; closing needs whether the customer accepted the outcome.
    Raises ``ApplicationError`` naming the field (``outcome``, ``root_cause``, ``corrective_action``,
    ``customer_accepted``).
    """
    outcome, root_cause, corrective_action = outcome.strip(), root_cause.strip(), corrective_action.strip()
    if action == Action.RESOLVE:
        if not outcome:
            raise ApplicationError(_("Choose the outcome: how was the complaint settled?"), extra={"field": "outcome"})
        if outcome == Outcome.REJECTED:
            raise ApplicationError(
                _("A complaint that is not granted is declined, not resolved: use “%(decline)s”.")
                % {"decline": Action.REJECT.label},
                extra={"field": "outcome"},
            )
        if outcome not in RESOLVE_OUTCOMES:
            raise ApplicationError(
                _("Unknown outcome “%(outcome)s”.") % {"outcome": outcome}, extra={"field": "outcome"}
            )
        root_cause = _root_cause_checked(root_cause)
        if not corrective_action:
            raise ApplicationError(
                _("Describe the corrective action taken, so that it does not happen again."),
                extra={"field": "corrective_action"},
            )
        return {"outcome": outcome, "root_cause": root_cause, "corrective_action": corrective_action}
    if action == Action.REJECT:
        if outcome not in ("", Outcome.REJECTED):
            raise ApplicationError(
                _("A declined complaint's outcome is always “%(rejected)s”.") % {"rejected": Outcome.REJECTED.label},
                extra={"field": "outcome"},
            )
        root_cause = _root_cause_checked(root_cause)
        return {"outcome": Outcome.REJECTED, "root_cause": root_cause, "corrective_action": corrective_action}
    if action == Action.CLOSE:
        if customer_accepted is None:
            raise ApplicationError(
                _("Did the customer accept the outcome? Choose yes or no."), extra={"field": "customer_accepted"}
            )
        return {"customer_accepted": customer_accepted}
    return {}


def _apply_transition(
    *,
    complaint: Complaint,
    action: str,
    actor: User | None,
    comment: str,
    now: datetime,
    by_customer: bool = False,
    letter_context: dict[str, Any] | None = None,
    outcome: str = "",
    root_cause: str = "",
    corrective_action: str = "",
    customer_accepted: bool | None = None,
    data: dict[str, Any] | None = None,
) -> ComplaintEvent:
    """The one place a complaint's status changes. ``outcome``, ``root_cause``, ``corrective_action`` and
    ``customer_accepted`` are checked by ``closing_values``; ``data`` goes into the timeline event's data."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ApplicationError(_("Unknown action “%(action)s”.") % {"action": action}, extra={"action": action})
    if complaint.status not in transition.sources:
        raise TransitionNotAllowed(
            _("A complaint that is “%(status)s” cannot be changed with “%(action)s”.")
            % {"status": complaint.get_status_display(), "action": Action(action).label},
            extra={"status": complaint.status, "action": action},
        )
    if action == Action.REOPEN and complaint.merged_into_id is not None:
        # Its conversation goes on in the complaint it was merged into; reopening would split it again.
        raise TransitionNotAllowed(
            _("This complaint was merged into another one: reopen that one instead."),
            extra={"status": complaint.status, "action": action},
        )
    comment = comment.strip()
    if transition.comment_required and not comment:
        raise ApplicationError(
            _("Please write the customer a message explaining this step."), extra={"field": "comment"}
        )
    closing = closing_values(
        action=action,
        outcome=outcome,
        root_cause=root_cause,
        corrective_action=corrective_action,
        customer_accepted=customer_accepted,
    )
    event_data: dict[str, Any] = {"action": action, **closing}

    previous = complaint.status
    complaint.status = transition.target
    fields = ["status"]
    for name, value in closing.items():
        setattr(complaint, name, value)
        fields.append(name)
    if action == Action.REOPEN:
        # The next resolution asks again; what the last one said stays on the timeline.
        earlier = {name: getattr(complaint, name) for name in CLOSING_FIELDS}
        event_data["previous"] = {name: value for name, value in earlier.items() if value not in ("", None)}
        complaint.outcome = complaint.root_cause = complaint.corrective_action = ""
        complaint.customer_accepted = None
        fields += CLOSING_FIELDS
    if transition.target == Status.RESOLVED:
        complaint.resolved_at = now
        fields.append("resolved_at")
    elif transition.target in (Status.CLOSED, Status.REJECTED):
        complaint.closed_at = now
        fields.append("closed_at")
    elif action == Action.REOPEN:
        complaint.resolved_at = None
        complaint.closed_at = None
        complaint.reopen_count += 1
        fields += ["resolved_at", "closed_at", "reopen_count"]
    stamps: dict[str, datetime | None] = {}
    if transition.target in (Status.RESOLVED, Status.REJECTED):
        # A decision, granted or declined: the time to resolution runs from receipt to it.
        complaint.decided_at = stamps["resolution"] = now
        fields.append("decided_at")
    elif action == Action.REOPEN:
        complaint.decided_at = stamps["resolution"] = None
        fields.append("decided_at")
    if transition.letter and complaint.first_responded_at is None:
        complaint.first_responded_at = stamps["first_response"] = now
        fields.append("first_responded_at")
    fields += _stamp_elapsed(complaint, stamps)
    # The clock stops while we wait for the customer and runs again, due times moved, when the wait ends.
    if transition.target == Status.AWAITING_CUSTOMER and previous != Status.AWAITING_CUSTOMER:
        fields += sla_pause(complaint, now)
    elif previous == Status.AWAITING_CUSTOMER and transition.target != Status.AWAITING_CUSTOMER:
        fields += sla_resume(complaint, now)
    if transition.letter and not by_customer and complaint.next_response_due is not None:
        # Staff wrote to the customer: the answer owed after their last message is given.
        complaint.next_response_due = None
        fields.append("next_response_due")
    _touch(complaint, now, list(dict.fromkeys(fields)))

    event = ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.STATUS_CHANGED,
        is_public=True,
        author=actor,
        by_customer=by_customer or action == Action.CUSTOMER_REPLIED,
        body=comment,
        from_status=previous,
        to_status=transition.target,
        data={**event_data, **(data or {})},
        created_at=now,
    )
    webhook_event_publish(
        event_type=WebhookEventType.COMPLAINT_TRANSITIONED,
        data=webhook_data.complaint_transitioned(
            complaint, from_status=previous, action=action, actor=actor, by_customer=event.by_customer, changed_at=now
        ),
    )
    letter = transition.letter
    if action == Action.CLOSE and closing["customer_accepted"] is False:
        # Not satisfied: we say we are sorry and how to appeal. An accepted outcome needs no letter.
        letter = LetterKind.CLOSED
    if letter:
        # A refusal's and a closure's letters tell the customer how long they have to appeal.
        context = {"appeal_days": REOPEN_WINDOW.days, **(letter_context or {})}
        _queue_customer_letter(
            complaint=complaint, kind=letter, key=f"event:{event.pk}", comment=comment, author=actor, **context
        )
    return event


@transaction.atomic
def complaint_transition(
    *,
    complaint: Complaint | int,
    action: str,
    actor: User | None,
    comment: str = "",
    outcome: str = "",
    root_cause: str = "",
    corrective_action: str = "",
    customer_accepted: bool | None = None,
) -> Complaint:
    """Apply one state-machine action (see ``complaints.transitions``).

    Resolving needs ``outcome``, ``root_cause`` and ``corrective_action``; declining ``root_cause`` (and the
    comment, the reasons the customer reads); closing ``customer_accepted`` (see ``closing_values``). They are
    saved on the complaint and in the timeline event's data; reopening clears them from the complaint and keeps
    them in its event's data under ``previous``. Closing with ``customer_accepted=False`` writes the customer a
    letter on how to appeal.

    Raises ``TransitionNotAllowed`` when the current status does not allow it, ``ApplicationError`` when a
    required comment or closing field is missing (``extra["field"]`` names it). Records a timeline event and
    queues the customer's letter, if any. A merge needs the complaint to merge into: it is refused here
    (``complaints.services.complaint_merge`` does it).
    """
    if action == Action.MERGE:
        raise ApplicationError(
            _("Use merge: it needs the complaint to merge into."), extra={"action": action, "field": "action"}
        )
    _require_handler(actor)
    locked = _lock(complaint)
    _apply_transition(
        complaint=locked,
        action=action,
        actor=actor,
        comment=comment,
        now=timezone.now(),
        outcome=outcome,
        root_cause=root_cause,
        corrective_action=corrective_action,
        customer_accepted=customer_accepted,
    )
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
        fields += _stamp_elapsed(locked, {"first_response": now})
    if locked.next_response_due is not None:
        locked.next_response_due = None
        fields.append("next_response_due")
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
    *, complaint: Complaint | int, actor: User | None, field: str, value: str, reason: str
) -> Complaint:
    """Change the complaint's priority or category, with the reason on the timeline (a staff-only
    ``FIELD_CHANGED`` event carrying ``{"field": …, "from": …, "to": …, "due": {…}}``). The due times are counted
    again from ``received_at`` with the promise the new value chooses (``sla_schedule``); ``due`` holds them.

    Raises ``ApplicationError`` for an unknown field or value or a missing reason. Setting the current value
    again changes and records nothing. ``actor=None`` is the system (the SLA sweep raising a broken promise).
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
    # Another priority or category may mean another promise: the due times are counted again from the start.
    customer_wrote_at = None
    if locked.next_response_due is not None:
        customer_wrote_at = (
            locked.events.filter(kind=ComplaintEvent.Kind.CUSTOMER_MESSAGE)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
    fields = sla_schedule(locked, now, customer_wrote_at=customer_wrote_at)
    _touch(locked, now, [field, *fields])
    _record_field_change(
        complaint=locked,
        actor=actor,
        field=field,
        old=previous,
        new=value,
        reason=reason,
        now=now,
        due=sla_due_iso(locked),
    )
    return locked


def complaint_change_priority(*, complaint: Complaint | int, actor: User, priority: str, reason: str) -> Complaint:
    """Set the complaint's priority with a reason (see ``complaint_change_field``)."""
    return complaint_change_field(complaint=complaint, actor=actor, field="priority", value=priority, reason=reason)


@transaction.atomic
def complaint_set_incident(
    *, complaint: Complaint | int, incident_id: int | None, actor: User, reason: str
) -> Complaint:
    """Link the complaint to an incident (or unlink it: ``incident_id=None``), with the reason on the timeline: a
    staff-only ``FIELD_CHANGED`` event carrying ``{"field": "incident", "from": <title>, "to": <title>}`` ("" for
    none). Raises ``ApplicationError`` for an unknown incident or a missing reason; linking it to the incident it
    is linked to already changes and records nothing.
    """
    _require_handler(actor)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Please give a reason for the change of incident."), extra={"field": "reason"})
    incident = None
    if incident_id is not None:
        incident = Incident.objects.filter(pk=incident_id).first()
        if incident is None:
            raise ApplicationError(_("There is no such incident."), extra={"field": "incident"})
    locked = _lock(complaint)
    if locked.incident_id == incident_id:
        return locked
    previous = ""
    if locked.incident_id is not None:
        previous = Incident.objects.filter(pk=locked.incident_id).values_list("title", flat=True).first() or ""
    locked.incident = incident
    now = timezone.now()
    _touch(locked, now, ["incident"])
    _record_field_change(
        complaint=locked,
        actor=actor,
        field="incident",
        old=previous,
        new=incident.title if incident else "",
        reason=reason,
        now=now,
    )
    return locked
