"""Every non-trivial read of complaints, with the joins each page needs (no N+1 queries)."""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.models import CompensationOffer, Incident, OfferStatus
from complaints.models import (
    OPEN_STATUSES,
    AgentDuty,
    Attachment,
    Complaint,
    ComplaintEvent,
    Outcome,
    RootCause,
    SlaAlert,
    SlaAlertLevel,
    SlaTarget,
    Status,
    Team,
    TeamMember,
    complaint_owed_due_q,
    complaint_sla_due_key,
)
from complaints.permissions import (
    UserLike,
    can_handle_complaints,
    can_lead_team,
    can_view_complaints,
    can_view_reports,
    staff_user,
)
from complaints.queue import (
    QUEUE_ENDED_INCIDENTS,
    QUEUE_OPTIONS_CACHE_SECONDS,
    QUEUE_OPTIONS_KEY,
    QUEUE_OPTIONS_VERSION_KEY,
    SHARED_TABS,
    QueueOptions,
    QueueParams,
    RowSla,
    SearchPlan,
    Tab,
    complaint_sla,
    cursor_after,
    cursor_encode,
    queue_filter,
    queue_mine_count,
    queue_search,
    queue_sorted,
    queue_tab_counts,
    search_substrings,
    search_walk_ids,
)
from complaints.reports.passes import grouped
from complaints.tokens import public_id_from_token
from config.exceptions import ApplicationError, PermissionRefused
from customers.models import Product, Purchase
from notifications.models import Letter


def _require_staff(user: UserLike) -> None:
    if not can_view_complaints(user):
        raise PermissionRefused(_("This page is for support staff."))


def complaint_queue(
    *, user: UserLike, params: QueueParams, now: datetime, search_plan: str = SearchPlan.AUTO
) -> QuerySet[Complaint]:
    """Complaints for the staff queue: the tab, filters and search of ``params``, in its sort order."""
    _require_staff(user)
    me = staff_user(user)
    qs = Complaint.objects.select_related("customer", "assignee").filter(queue_filter(params=params, user=me, now=now))
    if params.q:
        qs = queue_search(qs, params.q)
    return queue_sorted(qs, params.sort, by_index=search_plan != SearchPlan.INDEX)


def complaint_list(*, user: UserLike, status: str | None = None) -> QuerySet[Complaint]:
    """All complaints (any status unless filtered), newest first, for the API."""
    _require_staff(user)
    qs = Complaint.objects.select_related("customer", "assignee", "product")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-received_at", "-id")


def _with_duplicates(complaint_id: int) -> Q:
    """Rows of the complaint and of the complaints merged into it (their timelines and letters live on). The ids
    are a UNION of two index lookups: an OR across the join would make PostgreSQL read the whole table."""
    ids = Complaint.objects.filter(pk=complaint_id).values("pk")
    return Q(complaint_id__in=ids.union(Complaint.objects.filter(merged_into_id=complaint_id).values("pk"), all=True))


MESSAGE_KINDS = (
    ComplaintEvent.Kind.CUSTOMER_MESSAGE,
    ComplaintEvent.Kind.STAFF_REPLY,
    ComplaintEvent.Kind.INTERNAL_NOTE,
)


def complaint_messages_for_staff(*, user: UserLike, reference: str) -> list[ComplaintEvent]:
    """The complaint's messages (the customer's, our replies and internal notes), with those of the complaints
    merged into it, oldest first; each with its author, complaint and attachments loaded: three queries however
    many there are. 404 when the reference is unknown."""
    complaint_id = complaint_id_for_staff(user=user, reference=reference)
    return list(
        ComplaintEvent.objects.filter(_with_duplicates(complaint_id), kind__in=MESSAGE_KINDS)
        .select_related("author", "complaint")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def complaint_attachments_for_staff(*, user: UserLike, reference: str) -> list[Attachment]:
    """Every file on the complaint and on the complaints merged into it, oldest first, with the event each came
    with (one query). 404 when the reference is unknown."""
    complaint_id = complaint_id_for_staff(user=user, reference=reference)
    return list(
        Attachment.objects.filter(_with_duplicates(complaint_id))
        .select_related("complaint", "event")
        .order_by("received_at", "id")
    )


def letter_list_for_staff(*, user: UserLike, reference: str | None = None) -> QuerySet[Letter]:
    """Letters about complaints (to customers and to staff), without their bodies, each with its complaint; only
    those of one complaint and its merged duplicates when ``reference`` is given (404 when unknown)."""
    _require_staff(user)
    letters = Letter.objects.filter(complaint__isnull=False).select_related("complaint").defer("body_text", "body_html")
    if reference is not None:
        letters = letters.filter(_with_duplicates(complaint_id_for_staff(user=user, reference=reference)))
    return letters


def staff_member_get(*, user: UserLike, username: str) -> User:
    """The active staff member with this username, to assign a complaint to. ``ApplicationError`` (naming the
    ``assignee`` field) when there is none."""
    _require_staff(user)
    member = get_user_model().objects.filter(username=username, is_active=True).first()
    if member is None or not can_handle_complaints(member):
        raise ApplicationError(_("Nobody on staff has this username."), extra={"field": "assignee"})
    return member


def complaint_get_for_staff(*, user: UserLike, reference: str) -> Complaint:
    """A complaint with its timeline (authors joined) and letters, for staff. 404 when unknown."""
    _require_staff(user)
    events = (
        ComplaintEvent.objects.select_related("author").prefetch_related("attachments").order_by("created_at", "id")
    )
    letters = Letter.objects.order_by("created_at", "id")
    complaint = (
        Complaint.objects.select_related("customer", "assignee", "purchase__product", "product", "incident")
        .prefetch_related(
            Prefetch("events", queryset=events),
            Prefetch("letters", queryset=letters),
            Prefetch(
                "offers",
                queryset=CompensationOffer.objects.select_related("created_by", "approved_by").order_by("created_at"),
            ),
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


# What a queue row shows, its SLA state and its cursor read: the rest (texts, details) stays in the database.
QUEUE_ROW_FIELDS = (
    "id",
    "reference",
    "category",
    "priority",
    "status",
    "received_at",
    "updated_at",
    "first_responded_at",
    "first_response_due",
    "next_response_due",
    "resolution_due",
    "customer__name",
    "customer__email",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
)


# A word search first counts its matches among the next SEARCH_PROBE_ROWS rows of the page's order (one cheap
# LIKE each, ~3 ms). With SEARCH_WALK_MATCHES or more, walking that order finds a page within the next
# SEARCH_WALK_WINDOW rows (~60 expected); with fewer, the matches are rare and the GIN index finds them all
# faster. PostgreSQL's planner alone misjudges both: it multiplies the odds of a name's words as if they were
# unrelated, and estimates prefixes loosely (a full name took 0.8 s walking, a word nobody wrote 3 s).
SEARCH_PROBE_ROWS = 1000
SEARCH_WALK_MATCHES = 3
SEARCH_WALK_WINDOW = 20_000


def _queue_ahead(*, user: UserLike, params: QueueParams, after: Q | None, now: datetime) -> QuerySet[Complaint]:
    """The page's rows before any search: its tab, filters and cursor, in its order."""
    ahead = complaint_queue(user=user, params=replace(params, q=""), now=now)
    return ahead if after is None else ahead.filter(after)


def _search_plan(*, ahead: QuerySet[Complaint], text: str) -> tuple[str, bool]:
    """The plan for a search, and whether the probe saw every row ahead (then a walk finds every match)."""
    parts = search_substrings(text)
    if not parts or connection.vendor != "postgresql":
        return SearchPlan.AUTO, False
    like = Q()
    for part in parts:
        like &= Q(search_document__contains=part)
    # Aggregating a slice counts inside it: SELECT COUNT(...) FILTER (...) FROM (... LIMIT n) subquery.
    probe = ahead[:SEARCH_PROBE_ROWS].aggregate(rows=Count("pk"), matches=Count("pk", filter=like))
    plan = SearchPlan.WALK if probe["matches"] >= SEARCH_WALK_MATCHES else SearchPlan.INDEX
    return plan, probe["rows"] < SEARCH_PROBE_ROWS


def complaint_queue_page(*, user: UserLike, params: QueueParams, cursor: str, size: int, now: datetime) -> QueuePage:
    """One page of the queue, keyset-paginated on (sort key, id) in every sort order: page 1,000 costs what
    page 1 costs. A garbled cursor (or one from another sort order) gives the first page. A word search costs
    two more queries: the probe that picks its plan, and its rows fetched by the ids the plan found."""
    after = cursor_after(cursor, params.sort)
    plan, ids = SearchPlan.AUTO, None
    if params.q:
        ahead = _queue_ahead(user=user, params=params, after=after, now=now)
        plan, seen_all = _search_plan(ahead=ahead, text=params.q)
        if plan == SearchPlan.WALK:
            ids = search_walk_ids(ahead, sort=params.sort, text=params.q, window=SEARCH_WALK_WINDOW, limit=size + 1)
            if len(ids) <= size and not seen_all:  # the window ran out before the page was full: the index
                plan, ids = SearchPlan.INDEX, None
    qs = complaint_queue(user=user, params=params, now=now, search_plan=plan).only(*QUEUE_ROW_FIELDS)
    if after is not None:
        qs = qs.filter(after)
    if plan == SearchPlan.INDEX:
        ids = list(qs.values_list("pk", flat=True)[: size + 1])
    if ids is not None:
        # The rows of the ids found, joined only now (through the index, the joins would otherwise run for every
        # match before the sort kept 51 of them).
        matches = Complaint.objects.select_related("customer", "assignee").only(*QUEUE_ROW_FIELDS)
        found = {c.pk: c for c in matches.filter(pk__in=ids)}
        complaints = [found[pk] for pk in ids if pk in found]
    else:
        complaints = list(qs[: size + 1])
    next_cursor = cursor_encode(complaints[size - 1], params.sort) if len(complaints) > size else ""
    rows = [QueueRow(complaint=c, sla=complaint_sla(c, now=now)) for c in complaints[:size]]
    return QueuePage(rows=rows, next_cursor=next_cursor, is_first=after is None)


def complaint_queue_counts(*, user: UserLike, now: datetime) -> dict[str, int]:
    """The number of complaints on each queue tab.

    The tabs other than "My open" are the same for everyone and cost one aggregate over every open complaint's
    index entry (about 0.1 s with a quarter of a million open), so they are shared and reused for
    ``QUEUE_COUNTS_CACHE_SECONDS``. When they go stale, one request recounts while the others keep showing the
    previous counts, so a busy team never waits for the count together. "My open" is a short index range,
    cached per person for the same time. With the cache off (0 s), one aggregate counts every tab.
    """
    _require_staff(user)
    member = staff_user(user)
    seconds = settings.QUEUE_COUNTS_CACHE_SECONDS
    if seconds <= 0:
        return queue_tab_counts(user=member, now=now)
    mine_key = f"queue-counts:mine:{member.pk}"
    found = cache.get_many([QUEUE_SHARED_COUNTS_KEY, mine_key])
    shared, mine = found.get(QUEUE_SHARED_COUNTS_KEY), found.get(mine_key)
    if shared is None or timezone.now().timestamp() - shared[0] >= seconds:
        shared = _queue_shared_counts_refresh(member=member, now=now, seconds=seconds, stale=shared)
    if mine is None:
        mine = queue_mine_count(user=member)
        cache.set(mine_key, mine, timeout=seconds)
    return {**shared[1], Tab.MINE: int(mine)}


QUEUE_SHARED_COUNTS_KEY = "queue-counts:shared"
QUEUE_SHARED_COUNTS_LOCK = "queue-counts:shared:refreshing"


def _queue_shared_counts_refresh(
    *, member: User, now: datetime, seconds: int, stale: tuple[float, dict[str, int]] | None
) -> tuple[float, dict[str, int]]:
    """Recount the shared tabs, unless another request is already at it and ``stale`` counts can stand in."""
    if stale is not None and not cache.add(QUEUE_SHARED_COUNTS_LOCK, "1", timeout=60):
        return stale
    try:
        fresh = (timezone.now().timestamp(), queue_tab_counts(user=member, now=now, tabs=SHARED_TABS))
        # Kept well past their freshness, as the stand-in while the next recount runs.
        cache.set(QUEUE_SHARED_COUNTS_KEY, fresh, timeout=seconds * 30)
    finally:
        if stale is not None:
            cache.delete(QUEUE_SHARED_COUNTS_LOCK)
    return fresh


def _queue_options_read() -> QueueOptions:
    """Products, teams, the people ``staff_assignable_users`` lists and the incidents to filter by (every
    ongoing one, then the latest ended ones), in one round trip (UNION ALL)."""

    def text(value: str) -> Value:
        return Value(value, output_field=CharField())

    user_model = get_user_model()
    handles = Q(is_superuser=True)
    for through in ("groups__permissions", "user_permissions"):
        handles |= Q(pk__in=user_model.objects.filter(**{f"{through}__codename": "change_complaint"}).values("pk"))
    products = Product.objects.order_by().values_list(text("product"), "pk", "name", text(""), text(""))
    teams = Team.objects.order_by().values_list(text("team"), "pk", "name", text(""), text(""))
    people = (
        user_model.objects.filter(handles, is_active=True)
        .order_by()
        .values_list(text("user"), "pk", "username", "first_name", "last_name")
    )
    incidents = (
        Incident.objects.filter(
            Q(ended_at__isnull=True) | Q(pk__in=incidents_latest_ended().values("pk")[:QUEUE_ENDED_INCIDENTS])
        )
        .order_by()
        .values_list(
            Case(
                When(ended_at__isnull=True, then=text("incident-ongoing")),
                default=text("incident-ended"),
                output_field=CharField(),
            ),
            "pk",
            "title",
            # The start date (ISO, the site's time zone) and the sort key: free of any language.
            Cast(TruncDate("started_at", tzinfo=timezone.get_default_timezone()), CharField()),
            Cast(Coalesce("ended_at", "started_at"), CharField()),
        )
    )
    found: dict[str, list[tuple[str, int, str]]] = {"product": [], "team": [], "user": []}
    latest: dict[str, list[tuple[str, int, str]]] = {"incident-ongoing": [], "incident-ended": []}
    for kind, pk, name, first_name, last_name in products.union(teams, people, incidents, all=True):
        if kind in latest:  # newest first: the ongoing ones by start, the ended ones by end
            latest[kind].append((last_name, pk, f"{name} ({first_name})"))
        elif kind == "user":  # sorted by username, shown by full name (as User.get_full_name() puts it)
            found[kind].append((name, pk, f"{first_name} {last_name}".strip() or name))
        else:
            found[kind].append((name, pk, name))
    return QueueOptions(
        products=tuple((pk, label) for _key, pk, label in sorted(found["product"])),
        assignees=tuple((pk, label) for _key, pk, label in sorted(found["user"])),
        teams=tuple((pk, label) for _key, pk, label in sorted(found["team"])),
        incidents=tuple(
            (pk, label)
            for kind in ("incident-ongoing", "incident-ended")
            for _key, pk, label in sorted(latest[kind], reverse=True)
        ),
    )


def queue_filter_options(*, user: UserLike) -> QueueOptions:
    """The queue filters' products, assignable staff, teams and incidents: read once, then from the cache (one
    round trip) until any of them changes (``queue_options_changed``). Staff only; the lists hold names, no
    translations, so the copy is the same for every reader and language."""
    _require_staff(user)
    found = cache.get_many([QUEUE_OPTIONS_VERSION_KEY, QUEUE_OPTIONS_KEY])
    version = found.get(QUEUE_OPTIONS_VERSION_KEY)
    cached = found.get(QUEUE_OPTIONS_KEY)
    if version is not None and isinstance(cached, tuple) and cached[0] == version:
        options = cached[1]
        if isinstance(options, QueueOptions):
            return options
    if version is None:
        cache.add(QUEUE_OPTIONS_VERSION_KEY, "0", timeout=None)
        version = cache.get(QUEUE_OPTIONS_VERSION_KEY)
    options = _queue_options_read()
    # Stored with the version read before the rows: a change committed meanwhile has moved the version on,
    # so this copy is never taken for a fresh one.
    cache.set(QUEUE_OPTIONS_KEY, (version, options), timeout=QUEUE_OPTIONS_CACHE_SECONDS)
    return options


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


def complaint_next_for_agent(*, user: UserLike, after_reference: str = "") -> Complaint | None:
    """The complaint this person should open next, or None when nothing is waiting.

    Their own open complaints come first, due soonest first (the queue's "due soonest" order); then the
    unassigned ones of the teams they belong to; then unassigned ones anywhere, in the same order. A complaint
    waiting for the customer's reply is never offered, nor ``after_reference`` (the one they are leaving).

    Two small queries on PostgreSQL: their teams, then one ``UNION ALL`` of a ``LIMIT 1`` per tier, each an
    index walk in due order (``complaint_open_due_order``) that stops at the first match, or a short read of
    the assignee index. The one slow case: their teams have no unassigned complaint while others have many,
    and the walk reads the whole open part of the index before giving up.
    """
    _require_staff(user)
    me = staff_user(user)
    # Their teams as constants: the planner then knows how many complaints each tier holds.
    team_ids = list(TeamMember.objects.filter(user=me).values_list("team_id", flat=True))
    workable = Complaint.objects.filter(status__in=[Status.NEW, Status.IN_PROGRESS])
    if after_reference:
        workable = workable.exclude(reference=after_reference)
    unassigned = workable.filter(assignee__isnull=True)
    tiers = [workable.filter(assignee=me)]
    if team_ids:
        tiers.append(unassigned.filter(team_id__in=team_ids))
    tiers.append(unassigned)
    # The queue's "due soonest" order, spelled as the complaint_open_due_order index spells it.
    firsts = [
        tier.alias(due_key=complaint_sla_due_key()).order_by("due_key", "id").annotate(tier=Value(rank))[:1]
        for rank, tier in enumerate(tiers)
    ]
    if not connection.features.supports_slicing_ordering_in_compound:
        # SQLite (the embedded mode) allows no LIMIT inside a UNION: one small query per tier instead.
        return next((found for first in firsts if (found := first.first()) is not None), None)
    return firsts[0].union(*firsts[1:], all=True).order_by("tier").first()


# --- teams and duty ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberWorkload:
    user: User
    is_lead: bool
    on_duty: bool
    open_assigned: int  # open complaints assigned to them, in any team
    breached: int  # of those, the ones past a due time still owed


@dataclass(frozen=True)
class TeamWorkload:
    team: Team
    members: list[MemberWorkload]
    open_total: int
    unassigned_open: int
    breached_open: int


def _breached_open(now: datetime) -> Q:
    """Open and past a due time still owed (first response, next response or resolution)."""
    return complaint_owed_due_q(lt=now)


def team_workload(*, user: UserLike, now: datetime | None = None) -> list[TeamWorkload]:
    """Per team, its members' duty and load and its unassigned complaints: a team lead sees the teams they
    lead, a manager every team; anyone else gets ``PermissionRefused``.

    Four queries whatever the number of teams and members (teams, members with their duty, and two
    aggregates with conditional counts).
    """
    if not can_lead_team(user):
        raise PermissionRefused(_("This page is for team leads and managers."))
    me = staff_user(user)
    now = now or timezone.now()
    teams_qs = Team.objects.order_by("name")
    if not can_view_reports(me):
        teams_qs = teams_qs.filter(memberships__user=me, memberships__is_lead=True)
    teams = list(teams_qs)
    if not teams:
        return []
    memberships = list(
        TeamMember.objects.filter(team__in=teams)
        .select_related("user")
        .annotate(on_duty=Coalesce(F("user__duty__on_duty"), False))
        .order_by("-is_lead", "user__first_name", "user__last_name", "user__username")
    )
    breached = _breached_open(now)
    member_counts = {
        row["assignee"]: row
        for row in Complaint.objects.filter(assignee__in={m.user_id for m in memberships}, status__in=OPEN_STATUSES)
        .order_by()
        .values("assignee")
        .annotate(open=Count("pk"), breached=Count("pk", filter=breached))
    }
    team_counts = {
        row["team"]: row
        for row in Complaint.objects.filter(team__in=teams, status__in=OPEN_STATUSES)
        .order_by()
        .values("team")
        .annotate(
            open=Count("pk"),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            breached=Count("pk", filter=breached),
        )
    }
    members_of: dict[int, list[MemberWorkload]] = {team.pk: [] for team in teams}
    for membership in memberships:
        mine = member_counts.get(membership.user_id)
        members_of[membership.team_id].append(
            MemberWorkload(
                user=membership.user,
                is_lead=membership.is_lead,
                on_duty=bool(membership.on_duty),
                open_assigned=int(mine["open"]) if mine else 0,
                breached=int(mine["breached"]) if mine else 0,
            )
        )
    result = []
    for team in teams:
        theirs = team_counts.get(team.pk)
        result.append(
            TeamWorkload(
                team=team,
                members=members_of[team.pk],
                open_total=int(theirs["open"]) if theirs else 0,
                unassigned_open=int(theirs["unassigned"]) if theirs else 0,
                breached_open=int(theirs["breached"]) if theirs else 0,
            )
        )
    return result


def teams_for_choice() -> list[tuple[int, str]]:
    """Every team as (id, name), by name, for the team select."""
    return list(Team.objects.order_by("name").values_list("pk", "name"))


def agent_on_duty(*, user: UserLike) -> bool:
    """Whether the signed-in staff member is on duty (takes new complaints automatically)."""
    if not user.is_authenticated:
        return False
    return AgentDuty.objects.filter(user_id=user.pk, on_duty=True).exists()


def complaint_get_with_links(*, user: UserLike, reference: str) -> Complaint:
    """A complaint with the one it was merged into and its related complaints, for the API's answer to a merge or
    a link. 404 when unknown."""
    _require_staff(user)
    complaint = (
        Complaint.objects.select_related("merged_into")
        .prefetch_related(Prefetch("related", queryset=Complaint.objects.order_by("received_at", "id")))
        .filter(reference=reference)
        .first()
    )
    if complaint is None:
        raise Http404
    return complaint


# --- merged duplicates and related complaints -------------------------------------------------------------


@dataclass(frozen=True)
class MergeLinks:
    """What the complaint page shows of merges and links."""

    merged_into: Complaint | None
    duplicates: list[Complaint]
    related: list[Complaint]


def complaint_merge_links_for_staff(*, user: UserLike, complaint: Complaint) -> MergeLinks:
    """The complaint this one was merged into (if any), the duplicates merged into it, and its related complaints
    with their customers: one query for all three, however many there are."""
    _require_staff(user)
    links = Complaint.related.through.objects.filter(from_complaint_id=complaint.pk)
    # One id list as a UNION of index lookups: an OR of these conditions makes PostgreSQL read the whole table.
    ids = links.values("to_complaint_id").union(
        Complaint.objects.filter(merged_into_id=complaint.pk).values("id"),
        Complaint.objects.filter(pk=complaint.merged_into_id or 0).values("id"),
        all=True,
    )
    rows = list(
        Complaint.objects.filter(pk__in=ids)
        .select_related("customer")
        .annotate(is_related=Exists(links.filter(to_complaint_id=OuterRef("pk"))))
        .order_by("received_at", "id")
    )
    return MergeLinks(
        merged_into=next((row for row in rows if row.pk == complaint.merged_into_id), None),
        duplicates=[row for row in rows if row.merged_into_id == complaint.pk],
        related=[row for row in rows if row.is_related],
    )


def _duplicates_of(complaint: Complaint, duplicates: list[Complaint] | None) -> dict[int, Complaint]:
    if duplicates is None:
        duplicates = list(Complaint.objects.filter(merged_into=complaint))
    return {duplicate.pk: duplicate for duplicate in duplicates}


def complaint_timeline_for_staff(
    *, user: UserLike, complaint: Complaint, duplicates: list[Complaint] | None = None
) -> list[ComplaintEvent]:
    """The complaint's timeline together with those of the complaints merged into it, oldest first.

    Each event's ``complaint`` is loaded, so a page can say which duplicate an event came from. The complaint's
    own events are its ``events`` as ``complaint_get_for_staff`` prefetched them (authors and attachments);
    the duplicates' cost two more queries (none without duplicates), however long their timelines.
    ``duplicates`` (those merged into ``complaint``) saves looking them up again.
    """
    _require_staff(user)
    by_id = _duplicates_of(complaint, duplicates)
    own = list(complaint.events.all())
    if not by_id:
        return own
    theirs = list(
        ComplaintEvent.objects.filter(complaint_id__in=list(by_id))
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    for event in theirs:
        event.complaint = by_id[event.complaint_id]
    return sorted([*own, *theirs], key=lambda event: (event.created_at, event.pk))


def complaint_letters_for_staff(
    *, user: UserLike, complaint: Complaint, duplicates: list[Complaint] | None = None
) -> list[Letter]:
    """The letters of the complaint and of the complaints merged into it, oldest first, each with its
    ``complaint`` loaded. The complaint's own are its prefetched ``letters``; the duplicates' one more query."""
    _require_staff(user)
    by_id = _duplicates_of(complaint, duplicates)
    own = list(complaint.letters.all())
    if not by_id:
        return own
    theirs = list(
        Letter.objects.filter(complaint_id__in=list(by_id)).defer("body_text", "body_html").order_by("created_at", "id")
    )
    for letter in theirs:
        letter.complaint = by_id[letter.complaint_id]  # type: ignore[index]
    return sorted([*own, *theirs], key=lambda letter: (letter.created_at, letter.pk))


def complaint_merge_destination(*, complaint: Complaint) -> Complaint:
    """Where a merged complaint lives on: the complaint it was merged into, following merges of merges (with its
    customer); the complaint itself when it was not merged. Where a customer's message to a duplicate goes."""
    current = complaint
    # A merged complaint is closed and cannot be merged into, so chains stay short; the bound only guards the walk.
    for _hop in range(20):
        if current.merged_into_id is None:
            break
        current = Complaint.objects.select_related("customer").get(pk=current.merged_into_id)
    return current


def complaint_merge_target_by_token(*, token: str) -> Complaint | None:
    """For a customer's tracking link: the complaint theirs was merged into (``complaint_merge_destination``),
    or None when it was not merged or the token is bad. One small query when it was not merged."""
    public_id = public_id_from_token(token)
    if public_id is None:
        return None
    duplicate = Complaint.objects.filter(public_id=public_id, merged_into__isnull=False).only("merged_into").first()
    return complaint_merge_destination(complaint=duplicate) if duplicate is not None else None


# --- what keeps going wrong (managers) --------------------------------------------------------------------

IMPROVEMENT_TOP_PRODUCTS = 3
IMPROVEMENT_LATEST_ACTIONS = 5


@dataclass(frozen=True)
class CorrectiveActionEntry:
    reference: str
    decided_at: datetime
    # Who resolved or declined it (full name, else username); empty when nobody signed in did.
    agent: str
    text: str


@dataclass(frozen=True)
class ProductCount:
    # Empty for complaints that name no product.
    name: str
    count: int


@dataclass(frozen=True)
class RootCauseLine:
    root_cause: str
    label: str
    total: int
    # Counts per outcome, in the order of ``RootCauseSummary.outcomes``.
    by_outcome: list[int]
    top_products: list[ProductCount]
    latest_actions: list[CorrectiveActionEntry]


@dataclass(frozen=True)
class RootCauseSummary:
    date_from: date
    date_to: date
    total: int
    # Every outcome as (code, label, count), in the order ``Outcome`` lists them.
    outcomes: list[tuple[str, str, int]]
    # The root causes found, the most frequent first.
    lines: list[RootCauseLine]


def complaint_root_cause_summary(*, user: UserLike, date_from: date, date_to: date) -> RootCauseSummary:
    """What keeps going wrong: the complaints resolved or declined from ``date_from`` to ``date_to`` (both
    included, in the site's time zone) by root cause and by outcome, the products each root cause hits most,
    and the latest corrective actions taken for it. Managers only: ``PermissionRefused`` for anyone else.

    A complaint counts once, as it stands: with the outcome and root cause of its last resolution or refusal,
    on the day it was resolved or declined (a reopened complaint counts again only once settled again; a
    duplicate merged into another does not count). Whatever the number of complaints: one pass for the counts
    per root cause, outcome and product, the products' names, one short query per root cause met (ten at most)
    for its latest corrective actions, and the agents' names.
    """
    if not can_view_reports(user):
        raise PermissionRefused(_("This page is for managers."))
    return root_cause_summary(
        date_from=date_from,
        date_to=date_to,
        top_products=IMPROVEMENT_TOP_PRODUCTS,
        latest_actions=IMPROVEMENT_LATEST_ACTIONS,
    )


def root_cause_summary(*, date_from: date, date_to: date, top_products: int, latest_actions: int) -> RootCauseSummary:
    """``complaint_root_cause_summary`` without the permission check, with ``top_products`` products and
    ``latest_actions`` corrective actions per root cause (the reports' page checks who asks). One pass over the
    decisions for the counts, the products' names, one short query per root cause met for its latest actions,
    and the agents' names."""
    start = timezone.make_aware(datetime.combine(date_from, time.min))
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min))
    settled = (
        Complaint.objects.filter(status__in=[Status.RESOLVED, Status.CLOSED, Status.REJECTED], merged_into__isnull=True)
        .exclude(root_cause="")
        .filter(decided_at__gte=start, decided_at__lt=end)
    )

    passes = grouped(
        settled,
        columns={"root_cause": "root_cause", "outcome": "outcome", "product": "product_id"},
        groupings=[("root_cause", "outcome"), ("root_cause", "product")],
    )
    counts: dict[str, dict[str, int]] = {}
    for row in passes[("root_cause", "outcome")]:
        counts.setdefault(row["root_cause"], {})[row["outcome"]] = row["n"]

    # The most affected products of each root cause: at most the root causes times the catalogue to sort here.
    product_ids = {row["product"] for row in passes[("root_cause", "product")] if row["product"] is not None}
    product_names = dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "name"))
    per_product = sorted(
        passes[("root_cause", "product")],
        key=lambda row: (-row["n"], row["product"] is None, product_names.get(row["product"], ""), row["product"] or 0),
    )
    products: dict[str, list[ProductCount]] = {}
    for row in per_product:
        top = products.setdefault(row["root_cause"], [])
        if len(top) < top_products:
            top.append(ProductCount(product_names.get(row["product"], ""), row["n"]))

    resolver = (
        ComplaintEvent.objects.filter(
            complaint=OuterRef("pk"),
            kind=ComplaintEvent.Kind.STATUS_CHANGED,
            to_status__in=[Status.RESOLVED, Status.REJECTED],
        )
        .order_by("-created_at", "-id")
        .values("author_id")[:1]
    )
    # The latest of each root cause: one short walk back along the decisions' index per root cause (ten at most).
    latest = [
        row
        for root_cause in sorted(counts)
        for row in settled.filter(root_cause=root_cause)
        .exclude(corrective_action="")
        .annotate(resolver_id=Subquery(resolver))
        .order_by("-decided_at", "-id")
        .values_list("root_cause", "reference", "decided_at", "corrective_action", "resolver_id")[:latest_actions]
    ]
    resolver_ids = {row[4] for row in latest if row[4] is not None}
    names = {
        person.pk: person.get_full_name() or person.get_username()
        for person in (get_user_model().objects.filter(pk__in=resolver_ids) if resolver_ids else [])
    }
    actions: dict[str, list[CorrectiveActionEntry]] = {}
    for root_cause, reference, decided_at, text, resolver_id in latest:
        # Never None: the rows were filtered on its range above.
        actions.setdefault(root_cause, []).append(
            CorrectiveActionEntry(reference, cast(datetime, decided_at), names.get(resolver_id, ""), text)
        )

    outcome_codes = list(Outcome.values)
    lines = [
        RootCauseLine(
            root_cause=root_cause,
            label=str(RootCause(root_cause).label) if root_cause in RootCause.values else root_cause,
            total=sum(by_outcome.values()),
            by_outcome=[by_outcome.get(code, 0) for code in outcome_codes],
            top_products=products.get(root_cause, []),
            latest_actions=actions.get(root_cause, []),
        )
        for root_cause, by_outcome in counts.items()
    ]
    lines.sort(key=lambda line: (-line.total, line.label))
    outcomes = [
        (str(code), str(label), sum(counts[cause].get(code, 0) for cause in counts)) for code, label in Outcome.choices
    ]
    return RootCauseSummary(
        date_from=date_from,
        date_to=date_to,
        total=sum(line.total for line in lines),
        outcomes=outcomes,
        lines=lines,
    )


def complaint_sla_alerts_for_staff(*, user: UserLike, complaint: Complaint) -> list[SlaAlert]:
    """The promise warnings and breaches still relevant to the complaint, for the badge on its page: one query.

    An alert counts while the complaint still owes that promise with the same due time (a moved due time's
    old alerts no longer show); a breach hides the warning of the same due time. Most urgent first.
    """
    if not can_view_complaints(user):
        raise PermissionRefused(_("This page is for support staff."))
    if not complaint.is_open:
        return []
    current_due = {
        SlaTarget.FIRST_RESPONSE: None if complaint.first_responded_at else complaint.first_response_due,
        SlaTarget.NEXT_RESPONSE: complaint.next_response_due,
        SlaTarget.RESOLUTION: complaint.resolution_due,
    }
    alerts = SlaAlert.objects.filter(complaint=complaint).order_by("due_at", "pk")
    shown: dict[tuple[str, datetime], SlaAlert] = {}
    for alert in alerts:
        if alert.target == SlaTarget.ACKNOWLEDGEMENT:
            if complaint.acknowledged_at is not None:
                continue
        elif current_due.get(SlaTarget(alert.target)) != alert.due_at:
            continue
        key = (alert.target, alert.due_at)
        if key not in shown or alert.level == SlaAlertLevel.BREACH:
            shown[key] = alert
    return sorted(shown.values(), key=lambda a: (a.level != SlaAlertLevel.BREACH, a.due_at))


# --- incidents --------------------------------------------------------------------------------------------


def incidents_latest_ended() -> QuerySet[Incident]:
    """Ended incidents, the most recently ended first (slice it: the choice lists offer the latest few)."""
    return Incident.objects.filter(ended_at__isnull=False).order_by("-ended_at", "-id")


def incidents_for_choice(*, current_id: int | None = None) -> list[Incident]:
    """The incidents a complaint may be linked to, in one query: every ongoing one (the latest start first),
    then the latest ``QUEUE_ENDED_INCIDENTS`` ended ones (the latest end first); ``current_id`` (the complaint's
    own incident) is always among them, however old."""
    chosen = Q(ended_at__isnull=True) | Q(pk__in=incidents_latest_ended().values("pk")[:QUEUE_ENDED_INCIDENTS])
    if current_id is not None:
        chosen |= Q(pk=current_id)
    rows = list(Incident.objects.filter(chosen).order_by("-started_at", "-id"))
    ongoing = [incident for incident in rows if incident.ended_at is None]
    ended = sorted(
        (incident for incident in rows if incident.ended_at is not None),
        key=lambda incident: (incident.ended_at, incident.pk),
        reverse=True,
    )
    return ongoing + ended


def complaint_incident_id_for_staff(*, user: UserLike, reference: str) -> int | None:
    """The id of the incident the complaint is linked to (None: none), for staff. 404 when unknown."""
    _require_staff(user)
    found = Complaint.objects.filter(reference=reference).values_list("incident_id", flat=True)
    if not found:
        raise Http404
    return found[0]
