"""Every non-trivial read of complaints, with the joins each page needs (no N+1 queries)."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from compensation.models import CompensationOffer, OfferStatus
from complaints.models import Complaint, ComplaintEvent
from complaints.permissions import UserLike, can_handle_complaints, can_view_complaints, staff_user
from complaints.queue import (
    QueueParams,
    RowSla,
    complaint_sla,
    cursor_after,
    cursor_encode,
    queue_filter,
    queue_search,
    queue_sorted,
    queue_tab_counts,
)
from complaints.tokens import public_id_from_token
from config.exceptions import PermissionRefused
from customers.models import Purchase
from notifications.models import Letter


def _require_staff(user: UserLike) -> None:
    if not can_view_complaints(user):
        raise PermissionRefused(_("This page is for support staff."))


def complaint_queue(*, user: UserLike, params: QueueParams, now: datetime) -> QuerySet[Complaint]:
    """Complaints for the staff queue: the tab, filters and search of ``params``, in its sort order."""
    _require_staff(user)
    me = staff_user(user)
    qs = Complaint.objects.select_related("customer", "assignee").filter(queue_filter(params=params, user=me, now=now))
    if params.q:
        qs = queue_search(qs, params.q)
    return queue_sorted(qs, params.sort)


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


def complaint_get_for_handler(*, user: UserLike, reference: str) -> Complaint:
    """The complaint a reply is being written for, with its customer. 403 for anyone who may not handle
    complaints, 404 when unknown."""
    if not can_handle_complaints(user):
        raise PermissionRefused(_("You do not have permission to handle complaints."))
    complaint = Complaint.objects.select_related("customer").filter(reference=reference).first()
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
class QueueRow:
    complaint: Complaint
    sla: RowSla


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str
    is_first: bool


def complaint_queue_page(*, user: UserLike, params: QueueParams, cursor: str, size: int, now: datetime) -> QueuePage:
    """One page of the queue, keyset-paginated on (sort key, id) in every sort order: page 1,000 costs what
    page 1 costs. A garbled cursor (or one from another sort order) gives the first page."""
    qs = complaint_queue(user=user, params=params, now=now)
    after = cursor_after(cursor, params.sort)
    if after is not None:
        qs = qs.filter(after)
    complaints = list(qs[: size + 1])
    next_cursor = cursor_encode(complaints[size - 1], params.sort) if len(complaints) > size else ""
    rows = [QueueRow(complaint=c, sla=complaint_sla(c, now=now)) for c in complaints[:size]]
    return QueuePage(rows=rows, next_cursor=next_cursor, is_first=after is None)


def complaint_queue_counts(*, user: UserLike, now: datetime) -> dict[str, int]:
    """The number of complaints on each queue tab, in one query, cached per person for a few seconds.

    The aggregate reads every open complaint's index entry (about 0.1 s with a quarter of a million open);
    the page refreshes itself every 30 s for every agent, so a short cache keeps that off the hot path.
    """
    _require_staff(user)
    member = staff_user(user)
    seconds = settings.QUEUE_COUNTS_CACHE_SECONDS
    key = f"queue-counts:{member.pk}"
    if seconds > 0:
        cached = cache.get(key)
        if cached is not None:
            return dict(cached)
    counts = queue_tab_counts(user=member, now=now)
    if seconds > 0:
        cache.set(key, counts, timeout=seconds)
    return counts


@dataclass(frozen=True)
class CustomerHistory:
    purchases: list[Purchase]
    earlier_complaints: list[Complaint]
    compensation_given: list[CompensationOffer]


CUSTOMER_HISTORY_LIMIT = 10


def customer_history_for_staff(*, user: UserLike, complaint: Complaint) -> CustomerHistory:
    """The customer panel beside a complaint: their latest purchases, their other complaints and how those
    ended, and the compensation they accepted. Three queries, however long the history."""
    _require_staff(user)
    customer_id = complaint.customer_id
    purchases = list(
        Purchase.objects.filter(customer_id=customer_id)
        .select_related("product")
        .order_by("-purchased_on", "-id")[:CUSTOMER_HISTORY_LIMIT]
    )
    earlier = list(
        Complaint.objects.filter(customer_id=customer_id)
        .exclude(pk=complaint.pk)
        .order_by("-received_at", "-id")[:CUSTOMER_HISTORY_LIMIT]
    )
    given = list(
        CompensationOffer.objects.filter(
            complaint__customer_id=customer_id, status__in=[OfferStatus.ACCEPTED, OfferStatus.FULFILLED]
        )
        .select_related("complaint")
        .order_by("-created_at")[:CUSTOMER_HISTORY_LIMIT]
    )
    return CustomerHistory(purchases=purchases, earlier_complaints=earlier, compensation_given=given)
