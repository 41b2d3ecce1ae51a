"""Every non-trivial read of complaints, with the joins each page needs (no N+1 queries)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from compensation.models import CompensationOffer
from complaints.models import OPEN_STATUSES, Complaint, ComplaintEvent
from complaints.permissions import UserLike, can_view_complaints
from complaints.tokens import public_id_from_token
from config.exceptions import PermissionRefused
from notifications.models import Letter


def _require_staff(user: UserLike) -> None:
    if not can_view_complaints(user):
        raise PermissionRefused(_("This page is for support staff."))


def complaint_queue(*, user: UserLike, status: str | None = None) -> QuerySet[Complaint]:
    """Complaints for the staff queue, newest first. Without ``status``: every open complaint."""
    _require_staff(user)
    qs = Complaint.objects.select_related("customer", "assignee", "product")
    qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN_STATUSES)
    return qs.order_by("-received_at", "-id")


def complaint_list(*, user: UserLike, status: str | None = None) -> QuerySet[Complaint]:
    """All complaints (any status unless filtered), newest first, for the API."""
    _require_staff(user)
    qs = Complaint.objects.select_related("customer", "assignee", "product")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-received_at", "-id")


def complaint_get_for_staff(*, user: UserLike, reference: str) -> Complaint:
    """A complaint with its timeline (authors joined) and letters, for staff. 404 when unknown."""
    _require_staff(user)
    events = (
        ComplaintEvent.objects.select_related("author").prefetch_related("attachments").order_by("created_at", "id")
    )
    letters = Letter.objects.order_by("created_at", "id")
    complaint = (
        Complaint.objects.select_related("customer", "assignee", "purchase__product", "product")
        .prefetch_related(
            Prefetch("events", queryset=events),
            Prefetch("letters", queryset=letters),
            Prefetch("offers", queryset=CompensationOffer.objects.select_related("created_by").order_by("created_at")),
        )
        .filter(reference=reference)
        .first()
    )
    if complaint is None:
        raise Http404
    return complaint


def complaint_id_for_staff(*, user: UserLike, reference: str) -> int:
    """The id of the complaint with this reference, for staff actions that lock and load it themselves."""
    _require_staff(user)
    pk = Complaint.objects.filter(reference=reference).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404
    return pk


def complaint_get_by_token(*, token: str) -> Complaint:
    """The complaint behind a customer's tracking link, with its public timeline. 404 for a bad token."""
    public_id = public_id_from_token(token)
    if public_id is None:
        raise Http404
    public_events = (
        ComplaintEvent.objects.filter(is_public=True)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    complaint = (
        Complaint.objects.select_related("customer", "purchase__product", "product")
        .prefetch_related(Prefetch("events", queryset=public_events, to_attr="public_events"))
        .filter(public_id=public_id)
        .first()
    )
    if complaint is None:
        raise Http404
    return complaint


def staff_assignable_users(*, user: UserLike) -> list[User]:
    _require_staff(user)
    user_model = get_user_model()
    return list(
        user_model.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename="change_complaint")
            | Q(user_permissions__codename="change_complaint")
        )
        .distinct()
        .order_by("username")
    )


@dataclass(frozen=True)
class QueuePage:
    rows: list[Complaint]
    next_cursor: str
    is_first: bool


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _cursor_encode(complaint: Complaint) -> str:
    # Whole microseconds since the epoch: exact, unlike a float timestamp.
    return f"{(complaint.received_at - _EPOCH) // _MICROSECOND}_{complaint.pk}"


def _cursor_decode(cursor: str) -> tuple[datetime, int] | None:
    try:
        micros, pk = cursor.split("_", 1)
        return _EPOCH + int(micros) * _MICROSECOND, int(pk)
    except (ValueError, OverflowError):
        return None


def complaint_queue_page(*, user: UserLike, status: str | None, cursor: str, size: int) -> QueuePage:
    """One page of the queue, keyset-paginated on (received_at, id): as fast on page 10,000 as on page 1."""
    qs = complaint_queue(user=user, status=status)
    position = _cursor_decode(cursor) if cursor else None
    if position is not None:
        received_at, pk = position
        qs = qs.filter(Q(received_at__lt=received_at) | Q(received_at=received_at, id__lt=pk))
    rows = list(qs[: size + 1])
    next_cursor = _cursor_encode(rows[size - 1]) if len(rows) > size else ""
    return QueuePage(rows=rows[:size], next_cursor=next_cursor, is_first=position is None)
