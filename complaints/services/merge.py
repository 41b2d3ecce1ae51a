"""Merging a duplicate into another complaint of the same customer, and linking related complaints.

A merge closes the duplicate (the ``merge`` transition, which queues the "merged" letter to the customer) and
points it at the complaint it was merged into. Nothing is copied: the duplicate keeps its timeline, letters and
files, and the staff page of the complaint it went into shows them alongside its own. A link is internal: any
two complaints, of any customers, are marked as related, both ways.
"""

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint, ComplaintEvent
from complaints.selectors import complaint_merge_destination
from complaints.services.core import _apply_transition, _lock, _require_handler, _touch
from complaints.tokens import tracking_url
from complaints.transitions import Action
from config.exceptions import ApplicationError, PermissionRefused, TransitionNotAllowed

ComplaintRef = Complaint | int | str


def _require_actor(actor: User | None) -> User:
    if actor is None:
        raise PermissionRefused(_("You do not have permission to handle complaints."))
    _require_handler(actor)
    return actor


def _complaint_id(complaint: ComplaintRef, *, field: str) -> int:
    """The id of a complaint given as an instance, an id or a reference number (any case, spaces trimmed)."""
    if isinstance(complaint, Complaint):
        return complaint.pk
    if isinstance(complaint, int):
        return complaint
    reference = complaint.strip().upper()
    if not reference:
        raise ApplicationError(_("Enter the reference number of the other complaint."), extra={"field": field})
    pk = Complaint.objects.filter(reference=reference).values_list("pk", flat=True).first()
    if pk is None:
        raise ApplicationError(
            _("There is no complaint with the reference number “%(reference)s”.") % {"reference": reference},
            extra={"field": field},
        )
    return pk


def _lock_pair(first_id: int, second_id: int) -> tuple[Complaint, Complaint]:
    """Both rows locked, the lower id first, so two merges or links of the same pair never deadlock."""
    locked = {pk: _lock(pk) for pk in sorted({first_id, second_id})}
    return locked[first_id], locked[second_id]


def _who(actor: User) -> str:
    return actor.get_username()


@transaction.atomic
def complaint_merge(*, duplicate: Complaint | int, into: ComplaintRef, actor: User, note: str = "") -> Complaint:
    """Merge ``duplicate`` into ``into`` (a complaint, an id or a reference number); returns the duplicate.

    Both must be the same customer's (for two customers' complaints, link them instead), the duplicate open and
    not merged before, the target not merged itself. The duplicate is closed by the ``merge`` transition and the
    customer gets the "merged" letter with the target's reference and tracking link; ``merged_into`` is set.
    A ``MERGED`` event is recorded on both: public on the duplicate, staff-only on the target (with ``note``,
    which the customer never sees). Nothing is copied or deleted: the duplicate keeps its timeline, letters,
    files, assignee and priority. Raises ``ApplicationError`` (``extra["field"] == "into"``) for an unknown,
    same or other customer's target, ``TransitionNotAllowed`` for a closed or merged duplicate or a merged
    target, ``PermissionRefused`` for anyone who may not handle complaints.
    """
    actor = _require_actor(actor)
    duplicate_id = _complaint_id(duplicate, field="reference")
    target_id = _complaint_id(into, field="into")
    if duplicate_id == target_id:
        raise ApplicationError(_("A complaint cannot be merged into itself."), extra={"field": "into"})
    locked, target = _lock_pair(duplicate_id, target_id)

    if locked.customer_id != target.customer_id:
        raise ApplicationError(
            _(
                "%(target)s is another customer's complaint. Only the same customer's complaints can be merged: "
                "link them as related instead."
            )
            % {"target": target.reference},
            extra={"field": "into"},
        )
    if target.merged_into_id is not None:
        final = complaint_merge_destination(complaint=target)
        raise TransitionNotAllowed(
            _("%(target)s was itself merged into %(final)s: merge into %(final)s instead.")
            % {"target": target.reference, "final": final.reference},
            extra={"field": "into", "status": target.status, "action": Action.MERGE},
        )
    if locked.merged_into_id is not None:
        raise TransitionNotAllowed(
            _("%(reference)s was already merged into another complaint.") % {"reference": locked.reference},
            extra={"status": locked.status, "action": Action.MERGE},
        )
    if not locked.is_open:
        raise TransitionNotAllowed(
            _("%(reference)s is “%(status)s”: only an open complaint can be merged into another.")
            % {"reference": locked.reference, "status": locked.status_label},
            extra={"status": locked.status, "action": Action.MERGE},
        )

    now = timezone.now()
    target_url = tracking_url(target)
    _apply_transition(
        complaint=locked,
        action=Action.MERGE,
        actor=actor,
        comment="",
        now=now,
        letter_context={
            "target": target,
            "target_reference": target.reference,
            "target_tracking_url": target_url,
            # The letter's footer link goes where the conversation continues.
            "tracking_url": target_url,
        },
    )
    locked.merged_into = target
    locked.save(update_fields=["merged_into"])
    _touch(target, now, [])
    data = {"from": locked.reference, "into": target.reference, "by": _who(actor)}
    ComplaintEvent.objects.create(
        complaint=locked, kind=ComplaintEvent.Kind.MERGED, is_public=True, author=actor, data=data, created_at=now
    )
    ComplaintEvent.objects.create(
        complaint=target,
        kind=ComplaintEvent.Kind.MERGED,
        author=actor,
        body=note.strip(),
        data=data,
        created_at=now,
    )
    return locked


def _link_pair(complaint: ComplaintRef, other: ComplaintRef, actor: User | None) -> tuple[User, Complaint, Complaint]:
    actor = _require_actor(actor)
    complaint_id = _complaint_id(complaint, field="reference")
    other_id = _complaint_id(other, field="other")
    if complaint_id == other_id:
        raise ApplicationError(_("A complaint cannot be linked to itself."), extra={"field": "other"})
    locked, other_locked = _lock_pair(complaint_id, other_id)
    return actor, locked, other_locked


def _record_link(*, kind: str, pair: tuple[Complaint, Complaint], actor: User, now: datetime) -> None:
    first, second = pair
    for complaint, counterpart in ((first, second), (second, first)):
        _touch(complaint, now, [])
        ComplaintEvent.objects.create(
            complaint=complaint,
            kind=kind,
            author=actor,
            data={"other": counterpart.reference, "by": _who(actor)},
            created_at=now,
        )


@transaction.atomic
def complaint_link(*, complaint: ComplaintRef, other: ComplaintRef, actor: User) -> bool:
    """Mark two complaints as related (both ways); any customers' (a link is internal). Returns whether a new
    link was made: linking again changes and records nothing. Records a staff-only ``LINKED`` event on both,
    naming the other complaint. Raises ``ApplicationError`` (``extra["field"] == "other"``) for an unknown
    reference or the complaint itself."""
    actor, locked, other_locked = _link_pair(complaint, other, actor)
    if locked.related.filter(pk=other_locked.pk).exists():
        return False
    locked.related.add(other_locked)
    _record_link(kind=ComplaintEvent.Kind.LINKED, pair=(locked, other_locked), actor=actor, now=timezone.now())
    return True


@transaction.atomic
def complaint_unlink(*, complaint: ComplaintRef, other: ComplaintRef, actor: User) -> bool:
    """Remove the link between two complaints; returns whether there was one (unlinking twice records once).
    Records a staff-only ``UNLINKED`` event on both, naming the other complaint."""
    actor, locked, other_locked = _link_pair(complaint, other, actor)
    if not locked.related.filter(pk=other_locked.pk).exists():
        return False
    locked.related.remove(other_locked)
    _record_link(kind=ComplaintEvent.Kind.UNLINKED, pair=(locked, other_locked), actor=actor, now=timezone.now())
    return True
