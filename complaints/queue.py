"""The staff queue: its tabs, filters, search and sort orders, the SLA state of a row, and saved filters.

The form only validates the shape of the query string; an invalid value is dropped, never an error page.
``queue_filter`` turns the valid values into one ``Q`` (plus a search), so the page, the tab counts and the
API could share them. Every sort order is keyset-paginated: the cursor carries the sort key and the id.
"""

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.models import Group, User
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Model, Q, QuerySet
from django.db.models.functions import Coalesce
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.models import Incident
from complaints.models import (
    NO_DUE,
    OPEN_STATUSES,
    PRIORITY_RANK,
    Category,
    Channel,
    Complaint,
    Priority,
    SavedFilter,
    Status,
    Team,
    complaint_owed_due_q,
    complaint_priority_rank,
    complaint_sla_due_key,
)
from config.exceptions import ApplicationError
from customers.models import Product

# "Due soon": a first response, a next response or a resolution is owed within this long.
DUE_SOON = timedelta(hours=1)
# The text-search configuration of the index: no stemming, so English and Russian words match alike
# (whole words, or their beginnings through prefix queries).
SEARCH_CONFIG = "simple"
SEARCH_MAX_WORDS = 8
REFERENCE_PATTERN = re.compile(r"^RC-\d{4}-\d{6}$", re.IGNORECASE)
# Query parameters that are the page's position or rendering, not the filter: never saved.
NOT_FILTER_PARAMS = frozenset({"after", "partial"})


class Tab:
    MINE = "mine"
    UNASSIGNED = "unassigned"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    AWAITING = "awaiting"
    ALL = "all"

    CHOICES = (
        (MINE, _("My open")),
        (UNASSIGNED, _("Unassigned")),
        (DUE_SOON, _("Due soon")),
        (BREACHED, _("Breached")),
        (AWAITING, _("Awaiting customer")),
        (ALL, _("All open")),
    )


class SlaState:
    OK = "ok"
    DUE_SOON = "due_soon"
    BREACHED = "breached"

    CHOICES = ((OK, _("On time")), (DUE_SOON, _("Due soon")), (BREACHED, _("Breached")))


class Sort:
    NEWEST = "newest"
    OLDEST = "oldest"
    DUE = "due"
    PRIORITY = "priority"

    CHOICES = (
        (NEWEST, _("Newest first")),
        (OLDEST, _("Oldest first")),
        (DUE, _("Due soonest")),
        (PRIORITY, _("Priority")),
    )


UNASSIGNED = "unassigned"
NO_TEAM = "none"
NO_INCIDENT = "none"
# The queue's incident filter offers every ongoing incident and this many of the latest ended ones.
QUEUE_ENDED_INCIDENTS = 50


@dataclass(frozen=True)
class QueueOptions:
    """The filter choices that come from the database: (id, name) of products, assignable staff and teams, and
    (id, "title (start date)") of incidents, the ongoing ones first.

    The same for everyone who may open the queue, and free of translated text (the "Any" entries are added
    per request, in the reader's language), so one cached copy serves every person and language.
    """

    products: tuple[tuple[int, str], ...] = ()
    assignees: tuple[tuple[int, str], ...] = ()
    teams: tuple[tuple[int, str], ...] = ()
    incidents: tuple[tuple[int, str], ...] = ()


# The cached ``QueueOptions`` (see ``selectors.queue_filter_options``) carry the version they were read at;
# any change to products, teams, incidents or who may handle complaints moves the version on, so the next page reads
# them afresh. The time limit only bounds a change made where these receivers are not loaded (a shell).
QUEUE_OPTIONS_KEY = "queue-options"
QUEUE_OPTIONS_VERSION_KEY = "queue-options-version"
QUEUE_OPTIONS_CACHE_SECONDS = 300


def queue_options_changed() -> None:
    """Make every cached copy of the filter choices stale: now, and again when the transaction commits (a page
    that read the old rows meanwhile must not keep them)."""

    def bump() -> None:
        cache.set(QUEUE_OPTIONS_VERSION_KEY, secrets.token_hex(8), timeout=None)

    bump()
    transaction.on_commit(bump)


class QueueFilterForm(forms.Form):
    tab = forms.ChoiceField(choices=Tab.CHOICES, required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=200, strip=True)
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any")), *Status.choices], required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=[("", _("Any")), *Priority.choices], required=False)
    category = forms.ChoiceField(label=_("Category"), choices=[("", _("Any")), *Category.choices], required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Any")), *Channel.choices], required=False)
    product = forms.TypedChoiceField(label=_("Product"), coerce=int, empty_value=None, required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    sla = forms.ChoiceField(label=_("SLA"), choices=[("", _("Any")), *SlaState.CHOICES], required=False)
    incident = forms.ChoiceField(label=_("Incident"), required=False)
    received_from = forms.DateField(label=_("Received from"), required=False)
    received_to = forms.DateField(label=_("Received to"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), choices=Sort.CHOICES, required=False)

    def __init__(self, data: Mapping[str, Any], *, options: QueueOptions, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        cast(forms.ChoiceField, self.fields["product"]).choices = [("", _("Any")), *options.products]
        cast(forms.ChoiceField, self.fields["team"]).choices = [
            ("", _("Any")),
            (NO_TEAM, _("No team")),
            *((str(pk), name) for pk, name in options.teams),
        ]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Anyone")),
            (UNASSIGNED, _("Unassigned")),
            *((str(pk), name) for pk, name in options.assignees),
        ]
        cast(forms.ChoiceField, self.fields["incident"]).choices = [
            ("", _("Any")),
            (NO_INCIDENT, _("Not linked to an incident")),
            *((str(pk), label) for pk, label in options.incidents),
        ]


@dataclass(frozen=True)
class QueueParams:
    """The valid part of the query string (invalid values already dropped)."""

    tab: str = Tab.ALL
    q: str = ""
    status: str = ""
    priority: str = ""
    category: str = ""
    channel: str = ""
    product: int | None = None
    team: str = ""
    assignee: str = ""
    sla: str = ""
    incident: str = ""
    received_from: date | None = None
    received_to: date | None = None
    sort: str = Sort.NEWEST


def queue_params(form: QueueFilterForm) -> QueueParams:
    """The valid values of a bound form; each invalid field falls back to its default."""
    form.is_valid()
    data = {name: value for name, value in form.cleaned_data.items() if value not in (None, "")}
    return QueueParams(**data)


# --- SLA -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowSla:
    """Where a complaint stands against its promised times, for the row's countdown."""

    state: str  # SlaState, or "" when nothing is owed (answered and closed)
    due: datetime | None  # the earliest due time still owed
    remaining: timedelta | None  # negative once overdue

    @property
    def overdue_by(self) -> timedelta | None:
        return -self.remaining if self.remaining is not None and self.remaining < timedelta(0) else None


def complaint_sla(complaint: Complaint, *, now: datetime) -> RowSla:
    """Computed from the row's own fields (no query): breached if a due time passed while still owed."""
    if complaint.status not in OPEN_STATUSES:
        return RowSla(state="", due=None, remaining=None)
    due = row_sla_due_key(complaint)
    if due == NO_DUE:
        return RowSla(state="", due=None, remaining=None)
    remaining = due - now
    if remaining < timedelta(0):
        state = SlaState.BREACHED
    elif remaining <= DUE_SOON:
        state = SlaState.DUE_SOON
    else:
        state = SlaState.OK
    return RowSla(state=state, due=due, remaining=remaining)


def _open() -> Q:
    return Q(status__in=OPEN_STATUSES)


def _breached(now: datetime) -> Q:
    return complaint_owed_due_q(lt=now)


def _due_soon(now: datetime) -> Q:
    # Not breached means nothing owed is before ``now``: the ranges let the partial due-time indexes answer.
    return complaint_owed_due_q(range=(now, now + DUE_SOON)) & ~_breached(now)


def _sla_ok(now: datetime) -> Q:
    return _open() & ~_breached(now) & ~_due_soon(now)


def _tab(tab: str, *, user: User, now: datetime) -> Q:
    return {
        Tab.MINE: _open() & Q(assignee=user),
        Tab.UNASSIGNED: _open() & Q(assignee__isnull=True),
        Tab.DUE_SOON: _due_soon(now),
        Tab.BREACHED: _breached(now),
        Tab.AWAITING: Q(status=Status.AWAITING_CUSTOMER),
        Tab.ALL: _open(),
    }[tab]


def queue_tab_counts(*, user: User, now: datetime, tabs: Iterable[str] | None = None) -> dict[str, int]:
    """Every tab's count (or those of ``tabs``) in one aggregate over open complaints (the open-only partial
    indexes cover it)."""
    wanted = [tab for tab, _label in Tab.CHOICES] if tabs is None else list(tabs)
    counts = Complaint.objects.filter(_open()).aggregate(
        # Counting a column of the covering index (never NULL) keeps the scan index-only; "pk" would not.
        **{tab: Count("status", filter=_tab(tab, user=user, now=now)) for tab in wanted}
    )
    return {tab: int(count) for tab, count in counts.items()}


# The tabs whose counts are the same for every reader: everything but "My open".
SHARED_TABS = tuple(tab for tab, _label in Tab.CHOICES if tab != Tab.MINE)


def queue_mine_count(*, user: User) -> int:
    """The "My open" count alone: a short range of the (assignee, status) index."""
    return Complaint.objects.filter(_open() & Q(assignee=user)).count()


# --- filters and search ----------------------------------------------------------------------------------


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def queue_filter(*, params: QueueParams, user: User, now: datetime) -> Q:
    """The tab and the filters as one condition. An explicit status replaces the "all open" tab's status."""
    condition = Q() if params.tab == Tab.ALL and params.status else _tab(params.tab, user=user, now=now)
    if params.status:
        condition &= Q(status=params.status)
    for name in ("priority", "category", "channel"):
        value = getattr(params, name)
        if value:
            condition &= Q(**{name: value})
    if params.product is not None:
        condition &= Q(product_id=params.product)
    if params.team == NO_TEAM:
        condition &= Q(team__isnull=True)
    elif params.team:
        condition &= Q(team_id=int(params.team))
    if params.assignee == UNASSIGNED:
        condition &= Q(assignee__isnull=True)
    elif params.assignee:
        condition &= Q(assignee_id=int(params.assignee))
    if params.sla == SlaState.BREACHED:
        condition &= _breached(now)
    elif params.sla == SlaState.DUE_SOON:
        condition &= _due_soon(now)
    elif params.sla == SlaState.OK:
        condition &= _sla_ok(now)
    if params.incident == NO_INCIDENT:
        condition &= Q(incident__isnull=True)
    elif params.incident:
        condition &= Q(incident_id=int(params.incident))
    if params.received_from:
        condition &= Q(received_at__gte=_start_of(params.received_from))
    if params.received_to:
        condition &= Q(received_at__lt=_start_of(params.received_to + timedelta(days=1)))
    return condition


def _search_words(text: str) -> list[str]:
    words = re.findall(r"[\w@.+-]+", text.lower())
    return [word for word in words if re.search(r"\w", word)][:SEARCH_MAX_WORDS]


class SearchPlan:
    """How the database should find a search's matches (``complaint_queue_page`` picks one by a probe)."""

    AUTO = "auto"  # as PostgreSQL's planner sees fit (a reference, or no database choice to make)
    WALK = "walk"  # down the page's own order, testing each row: quick when matches are common
    INDEX = "index"  # through the GIN index, then sort the matches: quick when they are rare


def search_substrings(text: str) -> list[str]:
    """Runs of three or more letters or digits that every match of ``text`` contains (the document is stored
    lower-cased and each word matches a word's beginning), for a cheap LIKE test before the full-text one.
    Empty for a reference, which is looked up exactly."""
    if REFERENCE_PATTERN.match(text.strip()):
        return []
    runs = (run for word in _search_words(text) for run in re.findall(r"\w+", word) if len(run) >= 3)
    return list(dict.fromkeys(runs))


def queue_search(qs: QuerySet[Complaint], text: str) -> QuerySet[Complaint]:
    """Complaints whose reference, customer name or email, or text contain every word of ``text``.

    A reference (RC-2026-000042) is looked up exactly. On PostgreSQL each word matches as a prefix through the
    GIN index over ``search_document``; elsewhere (SQLite in development) substrings match. For
    ``SearchPlan.INDEX`` sort with ``queue_sorted(..., by_index=False)``, so the walk is not on offer; a
    ``SearchPlan.WALK`` goes through ``search_walk_ids`` instead.
    """
    text = text.strip()
    if REFERENCE_PATTERN.match(text):
        return qs.filter(reference=text.upper())
    words = _search_words(text)
    if not words:
        return qs
    if connection.vendor != "postgresql":
        for word in words:
            qs = qs.filter(search_document__contains=word)
        return qs
    # A LIKE costs a fraction of a microsecond a row where the full-text match costs ~15 (it tokenises the whole
    # text), so rows walked past are rejected cheaply; its estimate, drawn from the column's statistics, also
    # tells the planner how rare the words are (a name that matched nothing took seconds walking every open
    # complaint with the full-text test alone).
    for part in search_substrings(text):
        qs = qs.filter(search_document__contains=part)
    # The words hold only letters, digits and @.+- (no quotes or backslashes), so quoting each is safe.
    raw = " & ".join(f"'{word}':*" for word in words)
    query = SearchQuery(raw, search_type="raw", config=SEARCH_CONFIG)
    return qs.alias(search=SearchVector("search_document", config=SEARCH_CONFIG)).filter(search=query)


def search_walk_ids(qs: QuerySet[Complaint], *, sort: str, text: str, window: int, limit: int) -> list[int]:
    """Ids of the first ``limit`` complaints matching ``text`` among the first ``window`` rows of ``qs`` (the
    page's filters and cursor, no search, in ``sort`` order), in that order: fewer if the window held fewer.

    The window is a subquery with its own LIMIT, which PostgreSQL must walk in order (it cannot reach for the
    GIN index across it): at most ``window`` rows are read, the outer LIMIT stops at the ``limit``-th match,
    and each row is tested with cheap LIKEs before the full-text match. PostgreSQL only.
    """
    words, parts = _search_words(text), search_substrings(text)
    fields = _KEYS[sort].fields
    keys = {f"walk_key{i}": F(name) for i, (name, _desc) in enumerate(fields)}
    inner = qs.annotate(**keys).values("id", "search_document", *keys)[:window]
    inner_sql, inner_params = inner.query.sql_with_params()
    tests = ["w.search_document LIKE %s" for _part in parts]
    tests.append("to_tsvector(%s::regconfig, COALESCE(w.search_document, '')) @@ to_tsquery(%s::regconfig, %s)")
    order = ", ".join(f"w.walk_key{i} {'DESC' if desc else 'ASC'}" for i, (_name, desc) in enumerate(fields))
    sql = f"SELECT w.id FROM ({inner_sql}) AS w WHERE {' AND '.join(tests)} ORDER BY {order} LIMIT %s"  # noqa: S608
    # Runs of letters, digits and "_", which is LIKE's one-character wildcard (the escape is a backslash).
    likes = ["%" + part.replace("_", "\\_") + "%" for part in parts]
    raw = " & ".join(f"'{word}':*" for word in words)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*inner_params, *likes, SEARCH_CONFIG, SEARCH_CONFIG, raw, limit])
        return [int(row[0]) for row in cursor.fetchall()]


def search_document_for(*, reference: str, name: str, email: str, description: str) -> str:
    """What the search index reads for a complaint, lower-cased (the services and the seeder use this)."""
    return f"{reference} {name} {email} {description}".lower()


# --- sorting and keyset pagination -----------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(value: datetime) -> int:
    return (value - _EPOCH) // _MICROSECOND


def _from_micros(value: str) -> datetime:
    return _EPOCH + int(value) * _MICROSECOND


@dataclass(frozen=True)
class _Key:
    """A sort order: key fields (annotations allowed) with their direction, ending with the id."""

    fields: tuple[tuple[str, bool], ...]  # (name, descending)

    def order_by(self) -> list[str]:
        return [f"-{name}" if desc else name for name, desc in self.fields]

    def after(self, values: tuple[Any, ...]) -> Q:
        """Rows strictly after ``values`` in this order: (a > x) | (a = x & b > y) | ..."""
        condition = Q()
        equal = Q()
        for (name, desc), value in zip(self.fields, values, strict=True):
            condition |= equal & Q(**{f"{name}__{'lt' if desc else 'gt'}": value})
            equal &= Q(**{name: value})
        # Implied by the above, but an index range can start from it (PostgreSQL does not derive it from the OR).
        (first, desc), first_value = self.fields[0], values[0]
        return Q(**{f"{first}__{'lte' if desc else 'gte'}": first_value}) & condition


_KEYS: dict[str, _Key] = {
    Sort.NEWEST: _Key((("received_at", True), ("id", True))),
    Sort.OLDEST: _Key((("received_at", False), ("id", False))),
    Sort.DUE: _Key((("sla_due_key", False), ("id", False))),
    Sort.PRIORITY: _Key((("priority_rank", False), ("received_at", True), ("id", True))),
}


def queue_sorted(qs: QuerySet[Complaint], sort: str, *, by_index: bool = True) -> QuerySet[Complaint]:
    """``qs`` in ``sort`` order. ``by_index=False`` orders by ``COALESCE(key, key)``, the same values that no
    index supplies in order, so the database sorts the rows another index found (see ``SearchPlan.INDEX``)."""
    if sort == Sort.DUE:
        qs = qs.alias(sla_due_key=complaint_sla_due_key())
    elif sort == Sort.PRIORITY:
        qs = qs.alias(priority_rank=complaint_priority_rank())
    if by_index:
        return qs.order_by(*_KEYS[sort].order_by())
    unindexed = [Coalesce(F(name), F(name)) for name, _desc in _KEYS[sort].fields]
    return qs.order_by(
        *(key.desc() if desc else key.asc() for key, (_name, desc) in zip(unindexed, _KEYS[sort].fields, strict=True))
    )


def cursor_encode(complaint: Complaint, sort: str) -> str:
    if sort in (Sort.NEWEST, Sort.OLDEST):
        parts = [_micros(complaint.received_at)]
    elif sort == Sort.DUE:
        parts = [_micros(row_sla_due_key(complaint))]
    else:
        parts = [PRIORITY_RANK.get(Priority(complaint.priority), len(PRIORITY_RANK)), _micros(complaint.received_at)]
    return "_".join(str(part) for part in [*parts, complaint.pk])


def row_sla_due_key(complaint: Complaint) -> datetime:
    """The due-soonest sort key of a loaded row, as ``complaint_sla_due_key`` computes it in SQL."""
    first = complaint.first_response_due if complaint.first_responded_at is None else None
    return min(first or NO_DUE, complaint.next_response_due or NO_DUE, complaint.resolution_due or NO_DUE)


def cursor_after(cursor: str, sort: str) -> Q | None:
    """The condition for rows after ``cursor`` in ``sort`` order; None for a missing or garbled cursor."""
    if not cursor:
        return None
    parts = cursor.split("_")
    try:
        if sort in (Sort.NEWEST, Sort.OLDEST, Sort.DUE) and len(parts) == 2:
            values: tuple[Any, ...] = (_from_micros(parts[0]), int(parts[1]))
        elif sort == Sort.PRIORITY and len(parts) == 3:
            values = (int(parts[0]), _from_micros(parts[1]), int(parts[2]))
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return _KEYS[sort].after(values)


# --- saved filters ---------------------------------------------------------------------------------------


def queue_query_string(params: Mapping[str, str]) -> str:
    """The filter part of a queue query string (no cursor, no rendering flags, no empty values)."""
    kept = [(name, value) for name, value in params.items() if name not in NOT_FILTER_PARAMS and value]
    return urlencode(sorted(kept))


def saved_filter_list(*, user: User) -> list[SavedFilter]:
    return list(SavedFilter.objects.filter(user=user).order_by("name"))


@transaction.atomic
def saved_filter_save(*, user: User, name: str, query: str) -> SavedFilter:
    """Save ``query`` (a queue query string) under ``name``; an existing filter of that name is replaced."""
    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the filter a name."), extra={"field": "name"})
    if len(name) > SavedFilter._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ApplicationError(_("The name is too long."), extra={"field": "name"})
    if len(query) > SavedFilter._meta.get_field("query").max_length:  # type: ignore[operator]
        raise ApplicationError(_("This filter is too long to save."), extra={"field": "query"})
    try:
        with transaction.atomic():
            saved, _created = SavedFilter.objects.update_or_create(user=user, name=name, defaults={"query": query})
    except IntegrityError:
        # Saved twice at the same moment: the other request's row stands.
        saved = SavedFilter.objects.get(user=user, name=name)
    return saved


def saved_filter_delete(*, user: User, saved_filter_id: int) -> bool:
    """Delete one of ``user``'s own filters. False when there is no such filter of theirs."""
    deleted, _rows = SavedFilter.objects.filter(user=user, pk=saved_filter_id).delete()
    return deleted > 0


# --- keeping the cached filter choices fresh -------------------------------------------------------------

# A user's save that can change the assignee list (a login only moves ``last_login``).
_ASSIGNEE_FIELDS = frozenset({"username", "first_name", "last_name", "is_active", "is_superuser"})


@receiver([post_save, post_delete], sender=Product, dispatch_uid="queue-options-product")
@receiver([post_save, post_delete], sender=Team, dispatch_uid="queue-options-team")
@receiver([post_save, post_delete], sender=Incident, dispatch_uid="queue-options-incident")
@receiver(post_delete, sender=Group, dispatch_uid="queue-options-group")
def _choices_changed(sender: type[Model], **kwargs: Any) -> None:
    queue_options_changed()


@receiver([post_save, post_delete], sender=User, dispatch_uid="queue-options-user")
def _user_changed(sender: type[User], update_fields: frozenset[str] | None = None, **kwargs: Any) -> None:
    if update_fields is None or update_fields & _ASSIGNEE_FIELDS:
        queue_options_changed()


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="queue-options-user-groups")
@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="queue-options-user-permissions")
@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="queue-options-group-permissions")
def _permissions_changed(sender: type[Model], action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        queue_options_changed()
