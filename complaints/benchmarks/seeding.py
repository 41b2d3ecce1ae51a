"""Bulk benchmark data: customers, purchases, complaints and their timelines, written fast.

``bench_seed(complaints=1_000_000)`` (behind ``manage.py seed_bench`` and ``manage.py bench``) adds about
N/3 customers, N/2 purchases, N complaints
spread over the last two years and two to four timeline events per complaint.

This bypasses the services on purpose: a million ``complaint_submit`` calls would take hours. The rows it
writes are shaped the way the services would have written them (the same timeline events, SLA due times
from ``SlaPolicy``, references issued from ``ReferenceCounter``), but no letters are queued.

On PostgreSQL rows go in with ``COPY`` (ids reserved from the sequences up front); on other databases with
``bulk_create``, which is slower but fine for small N. Each run tags emails and order numbers with its own
run id, so running it again only adds data and never collides with an earlier run.
"""

import csv
import io
import json
import queue
import random
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from compensation.models import CompensationOffer, OfferKind, OfferStatus
from complaints.benchmarks.samples import (
    CATEGORIES_BY_KIND,
    COMMENTS,
    DESCRIPTIONS,
    EN_FIRST,
    EN_LAST,
    RESOLUTIONS_BY_CATEGORY,
    RU_FEMALE,
    RU_MALE,
)
from complaints.models import (
    Category,
    Channel,
    Complaint,
    ComplaintEvent,
    EventKind,
    Outcome,
    Priority,
    ReferenceCounter,
    RootCause,
    SlaPolicy,
    Status,
    Team,
)
from complaints.permissions import AGENTS_GROUP
from complaints.queue import search_document_for
from complaints.services import DEFAULT_SLA_MINUTES
from complaints.sla import ALWAYS_OPEN, WorkingTime, add_working_minutes, elapsed_minutes, working_time_for
from complaints.transitions import Action
from customers.models import Customer, Language, Product, Purchase

Row = tuple[object, ...]
Log = Callable[[str], None]

DEFAULT_BATCH = 20_000
SPREAD = timedelta(days=730)
BENCH_AGENTS = 5

# ~25% open; the rest finished. Average timeline length comes out at about three events.
STATUS_WEIGHTS: dict[str, int] = {
    Status.NEW: 8,
    Status.IN_PROGRESS: 10,
    Status.AWAITING_CUSTOMER: 7,
    Status.RESOLVED: 30,
    Status.CLOSED: 35,
    Status.REJECTED: 10,
}
CHANNEL_WEIGHTS: dict[str, int] = {
    Channel.WEB: 60,
    Channel.EMAIL: 20,
    Channel.PHONE: 10,
    Channel.API: 5,
    Channel.CHAT: 5,
}
PRIORITY_WEIGHTS: dict[str, int] = {Priority.NORMAL: 80, Priority.LOW: 10, Priority.HIGH: 8, Priority.URGENT: 2}

# Products the benchmark sells: (code, name, kind, price, warranty days).
BENCH_PRODUCTS: tuple[tuple[str, str, str, str, int], ...] = (
    ("bench-home-internet-500", "Home Internet 500", Product.Kind.SUBSCRIPTION, "890.00", 0),
    ("bench-web-hosting-pro", "Web Hosting Pro", Product.Kind.SUBSCRIPTION, "1490.00", 0),
    ("bench-mobile-unlimited", "Mobile Unlimited", Product.Kind.SUBSCRIPTION, "650.00", 0),
    ("bench-kettle", "Electric Kettle Aqua 1.7 L", Product.Kind.GOODS, "2490.00", 365),
    ("bench-router-ax3000", "Wi-Fi Router AX3000", Product.Kind.GOODS, "5990.00", 730),
    ("bench-vacuum-cleaner", "Cordless Vacuum Cleaner V8", Product.Kind.GOODS, "18990.00", 730),
)

# The ``data`` of a status-change event, as JSON text (the services write {"action": ...}).
ACTION_DATA = {action: json.dumps({"action": action}) for action in Action.values}

CUSTOMER_COLUMNS = ("id", "email", "name", "phone", "language", "external_id", "created_at")
PURCHASE_COLUMNS = (
    "id",
    "customer_id",
    "product_id",
    "order_number",
    "purchased_on",
    "amount",
    "currency",
    "service_start",
    "service_end",
    "external_id",
)
COMPLAINT_COLUMNS = (
    "id",
    "reference",
    "public_id",
    "customer_id",
    "purchase_id",
    "product_id",
    "category",
    "description",
    "desired_resolution",
    "channel",
    "priority",
    "status",
    "language",
    "assignee_id",
    "team_id",
    "received_at",
    "acknowledged_at",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "updated_at",
    "first_response_due",
    "resolution_due",
    "details",
    "rating_comment",
    "outcome",
    "root_cause",
    "corrective_action",
    "search_document",
    "acknowledgement_due",
    "rating",
    "customer_accepted",
    "reopen_count",
    "acknowledgement_minutes",
    "acknowledgement_working_minutes",
    "first_response_minutes",
    "first_response_working_minutes",
    "resolution_minutes",
    "resolution_working_minutes",
    "decided_at",
)
OFFER_COLUMNS = (
    "complaint_id",
    "kind",
    "amount",
    "currency",
    "status",
    "suggested_kind",
    "reason",
    "decline_reason",
    "rejection_reason",
    "billing_reference",
    "created_at",
    "updated_at",
    "offered_at",
    "decided_at",
    "fulfilled_at",
)
# What a decided complaint ended with: (outcome, weight); declined ones are "rejected".
OUTCOME_WEIGHTS: dict[str, int] = {Outcome.EXPLAINED: 35, Outcome.NON_MONETARY: 35, Outcome.MONETARY: 30}
ROOT_CAUSES = [cause for cause in RootCause.values if cause != RootCause.OTHER]
MONEY_OFFER_KINDS = (OfferKind.SERVICE_CREDIT, OfferKind.PARTIAL_REFUND, OfferKind.VOUCHER, OfferKind.REFUND)
# Share of decided complaints whose customer bought again afterwards, and how long after (days).
REPEAT_SHARE = 0.2
REPEAT_WITHIN_DAYS = 200
EMPTY_DETAILS = json.dumps({})
EVENT_COLUMNS = (
    "complaint_id",
    "kind",
    "is_public",
    "author_id",
    "by_customer",
    "body",
    "from_status",
    "to_status",
    "data",
    "created_at",
)


# Teams the benchmark's complaints belong to, by the kind of product they are about.
BENCH_TEAMS: dict[str, str] = {
    Product.Kind.SUBSCRIPTION: "Bench: subscriptions",
    Product.Kind.GOODS: "Bench: goods",
}


@dataclass(frozen=True)
class BenchProduct:
    id: int
    kind: str
    name: str
    price: Decimal
    currency: str


@dataclass
class SeedResult:
    run_id: str
    customers: int = 0
    purchases: int = 0
    complaints: int = 0
    events: int = 0
    offers: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class _Decided:
    """A seeded complaint that was resolved or declined: what the rows after it need."""

    complaint_id: int
    customer_id: int
    product: BenchProduct
    decided_at: datetime
    outcome: str


# The acknowledgement promise of the built-in policies.
ACKNOWLEDGEMENT_DUE = timedelta(minutes=15)


@dataclass
class _Context:
    run_id: str
    rng: random.Random
    now: datetime
    products: list[BenchProduct]
    agent_ids: list[int]
    team_ids: dict[str, int]
    sla: dict[str, tuple[timedelta, timedelta]]
    use_copy: bool
    # How far back the complaints go, what the customers' emails start with, how the statuses are spread.
    spread: timedelta = SPREAD
    label: str = "bench"
    status_weights: dict[str, int] = field(default_factory=lambda: dict(STATUS_WEIGHTS))
    # The working time of each priority's promise; a priority not here runs around the clock.
    working: dict[str, WorkingTime] = field(default_factory=dict)
    # Service periods end by then (the demo's history stays out of the demo's own outage last night).
    service_until: datetime | None = None
    # VACUUM ANALYZE after the last batch (the benchmark; not inside a caller's transaction).
    analyze: bool = True
    result: SeedResult = field(init=False)

    def __post_init__(self) -> None:
        self.result = SeedResult(run_id=self.run_id)

    def service_period(self, start: datetime, length: timedelta) -> tuple[datetime | None, datetime | None]:
        """A subscription's service period from ``start``, cut at ``service_until`` (none if it starts after)."""
        end = start + length
        if self.service_until is not None:
            if start >= self.service_until:
                return None, None
            end = min(end, self.service_until)
        return start, end


def _weighted(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    return rng.choices(list(weights), weights=list(weights.values()), k=k)


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


# --- writing rows -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """Rows for one model: attribute names in ``columns``, JSON fields as JSON text."""

    model: type[models.Model]
    columns: tuple[str, ...]
    rows: list[Row]
    # The rows as CSV for COPY, encoded by the generating thread (PostgreSQL only).
    csv_text: str = ""


def _encode_csv(rows: list[Row]) -> str:
    """CSV through the C writer: several times faster than formatting each value in Python.

    None and "" both become an unquoted empty field, read as NULL except in the NOT NULL columns listed in
    FORCE_NOT_NULL (see ``_write_table``). True/False, datetimes, UUIDs and Decimals print as PostgreSQL reads them.
    """
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _with_defaults(model: type[models.Model], columns: tuple[str, ...], rows: list[Row]) -> _Table:
    """The rows with every NOT NULL column they leave out that has a default filled with it: COPY, unlike
    ``bulk_create``, does not apply Django's defaults, and columns added later must not break the seeder."""
    extra = [
        f
        for f in model._meta.concrete_fields
        if f.attname not in columns and not f.null and not f.primary_key and f.has_default()
    ]
    if not extra:
        return _Table(model, columns, rows)
    values = tuple(json.dumps(f.get_default()) if isinstance(f, models.JSONField) else f.get_default() for f in extra)
    return _Table(model, (*columns, *(f.attname for f in extra)), [(*row, *values) for row in rows])


def _write_table(table: _Table) -> None:
    if not table.rows:
        return
    opts = table.model._meta
    fields = {f.attname: f for f in opts.concrete_fields}
    if table.csv_text:
        quote = connection.ops.quote_name
        db_columns = ", ".join(quote(str(fields[name].column)) for name in table.columns)
        not_null = ", ".join(quote(str(fields[name].column)) for name in table.columns if not fields[name].null)
        copy = f"COPY {quote(opts.db_table)} ({db_columns}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({not_null}))"
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(copy, io.StringIO(table.csv_text))
        return
    json_columns = [i for i, name in enumerate(table.columns) if isinstance(fields[name], models.JSONField)]
    objects = []
    for row in table.rows:
        values = list(row)
        for i in json_columns:
            values[i] = json.loads(str(values[i]))
        objects.append(table.model(**dict(zip(table.columns, values, strict=True))))
    table.model._default_manager.bulk_create(objects, batch_size=2000)


def _reserve_ids(model: type[models.Model], count: int) -> int:
    """The first of ``count`` consecutive primary keys nobody else will use (call in a transaction).

    On PostgreSQL the sequence moves past the block, so concurrent inserts are safe. Elsewhere the block starts
    after the highest id: nothing else should insert into these tables while the seeder runs.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if _is_postgresql():
            # Inserts hold ROW EXCLUSIVE; this waits for them and keeps new ones out while the sequence moves on.
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(table)} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, count],
            )
            last = int(cursor.fetchone()[0])
            return last - count + 1
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return int(cursor.fetchone()[0]) + 1


def _reserve_references(years: Iterable[int]) -> dict[int, int]:
    """For each year, the first reference number of a block as large as that year's count, from the counter.

    Takes the same row lock as ``reference_next``, so a complaint submitted meanwhile gets a number after ours.
    """
    first_numbers: dict[int, int] = {}
    for year, count in sorted(Counter(years).items()):
        ReferenceCounter.objects.get_or_create(year=year)
        counter = ReferenceCounter.objects.select_for_update().get(year=year)
        first_numbers[year] = counter.last_number + 1
        ReferenceCounter.objects.filter(year=year).update(last_number=counter.last_number + count)
    return first_numbers


# --- preparing the fixed pieces ---------------------------------------------------------------------------


def _bench_products() -> list[BenchProduct]:
    products = []
    for code, name, kind, price, warranty in BENCH_PRODUCTS:
        product, _ = Product.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "price": Decimal(price), "warranty_days": warranty}
        )
        products.append(
            BenchProduct(
                id=product.pk, kind=product.kind, name=product.name, price=product.price, currency=product.currency
            )
        )
    return products


def _bench_agents() -> list[int]:
    """Support agents the seeded complaints are assigned to (no password: nobody logs in as them)."""
    group = Group.objects.filter(name=AGENTS_GROUP).first()
    if group is None:
        raise CommandError(f'The group "{AGENTS_GROUP}" is missing. Run "manage.py migrate" first.')
    user_model = get_user_model()
    ids = []
    for number in range(1, BENCH_AGENTS + 1):
        user, created = user_model.objects.get_or_create(
            username=f"bench-agent-{number}", defaults={"first_name": f"Agent {number}", "is_staff": True}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(group)
        ids.append(user.pk)
    return ids


def _bench_teams() -> dict[str, int]:
    """Team id by product kind (a complaint about a subscription goes to the subscriptions team, and so on)."""
    return {kind: Team.objects.get_or_create(name=name)[0].pk for kind, name in BENCH_TEAMS.items()}


def _sla_durations() -> dict[str, tuple[timedelta, timedelta]]:
    minutes = dict(DEFAULT_SLA_MINUTES)
    for policy in SlaPolicy.objects.filter(category="", product__isnull=True):
        minutes[policy.priority] = (policy.first_response_minutes, policy.resolution_minutes)
    return {priority: (timedelta(minutes=a), timedelta(minutes=b)) for priority, (a, b) in minutes.items()}


# --- one batch --------------------------------------------------------------------------------------------


def _customer_rows(ctx: _Context, first_id: int, count: int, before: datetime) -> tuple[list[Row], list[str]]:
    rng = ctx.rng
    rows: list[Row] = []
    languages: list[str] = []
    for offset in range(count):
        customer_id = first_id + offset
        if rng.random() < 0.4:
            language = Language.RU
            first, last = rng.choice(rng.choice((RU_MALE, RU_FEMALE)))
            domain = "example.ru"
        else:
            language = Language.EN
            first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
            domain = "example.com"
        phone = (
            f"+7 9{rng.randrange(10, 100)} {rng.randrange(100, 1000)}-{rng.randrange(10, 100)}-{rng.randrange(10, 100)}"
        )
        rows.append(
            (
                customer_id,
                f"{ctx.label}-{ctx.run_id}-{customer_id}@{domain}",
                f"{first} {last}",
                phone if rng.random() < 0.7 else "",
                language,
                "",
                before - timedelta(days=rng.uniform(30, 400)),
            )
        )
        languages.append(language)
    return rows, languages


def _purchase_rows(
    ctx: _Context, first_id: int, count: int, customer_ids: list[int], before: datetime
) -> tuple[list[Row], list[tuple[int, BenchProduct]]]:
    """Purchase rows, and (customer id, product) of each purchase in the same order."""
    rng = ctx.rng
    rows: list[Row] = []
    owners: list[tuple[int, BenchProduct]] = []
    for offset in range(count):
        purchase_id = first_id + offset
        customer_id = rng.choice(customer_ids)
        product = rng.choice(ctx.products)
        bought_at = before - timedelta(days=rng.uniform(1, 300))
        start = end = None
        if product.kind == Product.Kind.SUBSCRIPTION:
            start, end = ctx.service_period(bought_at, timedelta(days=30 * rng.randint(1, 12)))
        rows.append(
            (
                purchase_id,
                customer_id,
                product.id,
                f"B{ctx.run_id}-{purchase_id}",
                bought_at.date(),
                product.price,
                product.currency,
                start,
                end,
                "",
            )
        )
        owners.append((customer_id, product))
    return rows, owners


def _timeline(
    ctx: _Context, *, status: str, received: datetime, first_due: timedelta, resolution_due: timedelta
) -> list[tuple[str, str, str, datetime]]:
    """The status changes that led to ``status``: (action, from, to, when), times clamped to now."""
    rng, steps = ctx.rng, []
    if status == Status.NEW:
        return []
    if status == Status.REJECTED and rng.random() < 0.5:
        return [(Action.REJECT, Status.NEW, Status.REJECTED, received + first_due * rng.uniform(0.1, 1.2))]
    started = received + first_due * rng.uniform(0.05, 1.3)
    steps.append((Action.START, Status.NEW, Status.IN_PROGRESS, started))
    if status == Status.AWAITING_CUSTOMER:
        steps.append((Action.REQUEST_INFO, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER, started + timedelta(hours=1)))
    elif status == Status.REJECTED:
        steps.append(
            (Action.REJECT, Status.IN_PROGRESS, Status.REJECTED, started + timedelta(hours=rng.uniform(1, 48)))
        )
    elif status in (Status.RESOLVED, Status.CLOSED):
        resolved = started + (resolution_due - first_due) * rng.uniform(0.1, 1.4)
        steps.append((Action.RESOLVE, Status.IN_PROGRESS, Status.RESOLVED, resolved))
        if status == Status.CLOSED:
            steps.append((Action.CLOSE, Status.RESOLVED, Status.CLOSED, resolved + timedelta(days=rng.uniform(1, 14))))
    return [(action, old, new, min(when, ctx.now)) for action, old, new, when in steps]


def _due(wt: WorkingTime | None, received_at: datetime, target: timedelta) -> datetime:
    """When a promise of ``target`` falls due: on the promise's working time, else around the clock."""
    if wt is None:
        return received_at + target
    return add_working_minutes(wt, received_at, int(target.total_seconds() // 60))


def _complaint_rows(
    ctx: _Context,
    *,
    first_id: int,
    received: list[datetime],
    customer_ids: list[int],
    customer_languages: dict[int, str],
    contacts: dict[int, tuple[str, str]],
    purchases: list[tuple[int, int, BenchProduct]],
    next_number: dict[int, int],
) -> tuple[list[Row], list[Row], list[_Decided]]:
    """Complaint and event rows, and the complaints decided (resolved or declined); ``next_number`` (the next
    reference number per year) is advanced in place."""
    rng = ctx.rng
    count = len(received)
    statuses = _weighted(rng, ctx.status_weights, count)
    channels = _weighted(rng, CHANNEL_WEIGHTS, count)
    priorities = _weighted(rng, PRIORITY_WEIGHTS, count)
    complaint_rows: list[Row] = []
    event_rows: list[Row] = []
    decided_rows: list[_Decided] = []
    for offset, received_at in enumerate(received):
        complaint_id = first_id + offset
        number = next_number[received_at.year]
        next_number[received_at.year] = number + 1
        purchase_id: int | None = None
        product: BenchProduct | None = None
        order_number = ""
        if rng.random() < 0.7:
            purchase_id, customer_id, product = rng.choice(purchases)
            order_number = f"B{ctx.run_id}-{purchase_id}"
            mentioned = product
        else:
            # No order number given: the text names a product, but nothing links the complaint to it.
            customer_id = rng.choice(customer_ids)
            mentioned = rng.choice(ctx.products)
        language = customer_languages[customer_id]
        category = rng.choice(CATEGORIES_BY_KIND[mentioned.kind])
        description = rng.choice(DESCRIPTIONS[(category, language)]).format(product=mentioned.name)
        priority = Priority.HIGH if category == Category.SERVICE_OUTAGE else priorities[offset]
        status, channel = statuses[offset], channels[offset]
        first_due, resolution_due = ctx.sla[priority]
        steps = _timeline(ctx, status=status, received=received_at, first_due=first_due, resolution_due=resolution_due)
        assignee = rng.choice(ctx.agent_ids) if steps or rng.random() < 0.2 else None
        acknowledged = min(received_at + timedelta(minutes=rng.uniform(0.1, 5)), ctx.now)
        first_responded = next((when for action, _, _, when in steps if action in (Action.START, Action.REJECT)), None)
        resolved_at = next((when for action, _, _, when in steps if action == Action.RESOLVE), None)
        closed_at = next((when for action, _, _, when in steps if action in (Action.CLOSE, Action.REJECT)), None)
        updated = steps[-1][3] if steps else acknowledged
        decided_at = resolved_at or (closed_at if status == Status.REJECTED else None)
        outcome = root_cause = corrective = ""
        rating: int | None = None
        accepted: bool | None = None
        if decided_at is not None:
            outcome = Outcome.REJECTED if status == Status.REJECTED else _weighted(rng, OUTCOME_WEIGHTS, 1)[0]
            root_cause = rng.choice(ROOT_CAUSES)
            corrective = "Fixed the cause and told the team."
            rating = rng.choice((1, 2, 3, 4, 4, 5, 5, 5)) if rng.random() < 0.35 else None
            accepted = (rng.random() < 0.85) if status == Status.CLOSED else None
            decided_rows.append(_Decided(complaint_id, customer_id, product or mentioned, decided_at, outcome))
        wt = ctx.working.get(priority)
        elapsed = [
            None if moment is None else elapsed_minutes(wt or ALWAYS_OPEN, received_at, moment)
            for moment in (acknowledged, first_responded, decided_at)
        ]
        complaint_rows.append(
            (
                complaint_id,
                f"RC-{received_at.year}-{number:06d}",
                uuid.uuid4(),
                customer_id,
                purchase_id,
                product.id if product else None,
                category,
                description,
                rng.choice(RESOLUTIONS_BY_CATEGORY[category]),
                channel,
                priority,
                status,
                language,
                assignee,
                ctx.team_ids.get(mentioned.kind),
                received_at,
                acknowledged,
                first_responded,
                resolved_at,
                closed_at,
                updated,
                _due(wt, received_at, first_due),
                _due(wt, received_at, resolution_due),
                EMPTY_DETAILS,
                "",
                outcome,
                root_cause,
                corrective,
                search_document_for(
                    reference=f"RC-{received_at.year}-{number:06d}",
                    name=contacts[customer_id][0],
                    email=contacts[customer_id][1],
                    description=description,
                ),
                _due(wt, received_at, ACKNOWLEDGEMENT_DUE),
                rating,
                accepted,
                1 if decided_at is not None and rng.random() < 0.03 else 0,
                *(value for pair in elapsed for value in (pair or (None, None))),
                decided_at,
            )
        )
        event_rows.append(
            (
                complaint_id,
                EventKind.CREATED,
                True,
                None,
                True,
                description,
                "",
                Status.NEW,
                json.dumps(
                    {"channel": channel, "order_number": order_number, "purchase_linked": purchase_id is not None}
                ),
                received_at,
            )
        )
        for action, old, new, when in steps:
            comment = COMMENTS.get(action, {}).get(language, "")
            event_rows.append(
                (
                    complaint_id,
                    EventKind.STATUS_CHANGED,
                    True,
                    assignee,
                    False,
                    comment,
                    old,
                    new,
                    ACTION_DATA[action],
                    when,
                )
            )
    return complaint_rows, event_rows, decided_rows


def _offer_row(item: _Decided, kind: str, share: Decimal, status: str, offered: datetime, *, fulfilled: bool) -> Row:
    """An offer of ``share`` of the product's price, made at ``offered`` and answered when the complaint was
    decided (in ``OFFER_COLUMNS`` order)."""
    amount = (item.product.price * share).quantize(Decimal("0.01"))
    fulfilled_at = item.decided_at if fulfilled else None
    return (
        item.complaint_id,
        kind,
        amount,
        item.product.currency,
        status,
        kind,
        "",
        "",
        "",
        "",
        offered,
        item.decided_at,
        offered,
        item.decided_at,
        fulfilled_at,
    )


def _after_decision_rows(
    ctx: _Context, *, decided: list[_Decided], first_purchase: int, purchases: int
) -> tuple[list[Row], list[Row]]:
    """Repeat purchases by some customers after their complaint was decided (up to ``purchases`` of them, with
    ids from ``first_purchase``), and fulfilled money offers on the complaints that ended with monetary relief."""
    rng = ctx.rng
    purchase_rows: list[Row] = []
    offer_rows: list[Row] = []
    for item in decided:
        if len(purchase_rows) < purchases and rng.random() < REPEAT_SHARE:
            bought_at = item.decided_at + timedelta(days=rng.uniform(1, REPEAT_WITHIN_DAYS))
            if bought_at < ctx.now:
                purchase_id = first_purchase + len(purchase_rows)
                purchase_rows.append(
                    (
                        purchase_id,
                        item.customer_id,
                        item.product.id,
                        f"B{ctx.run_id}-{purchase_id}",
                        bought_at.date(),
                        item.product.price,
                        item.product.currency,
                        *(
                            ctx.service_period(bought_at, timedelta(days=30))
                            if item.product.kind == Product.Kind.SUBSCRIPTION
                            else (None, None)
                        ),
                        "",
                    )
                )
        if item.outcome == Outcome.EXPLAINED and rng.random() < 0.15:
            # Some customers turn down what they were offered: the offers report shows their fate.
            offered = item.decided_at - timedelta(days=rng.uniform(1, 5))
            status = rng.choice((OfferStatus.DECLINED, OfferStatus.EXPIRED))
            offer_rows.append(_offer_row(item, OfferKind.VOUCHER, Decimal("0.10"), status, offered, fulfilled=False))
        if item.outcome == Outcome.MONETARY:
            kind = rng.choice(MONEY_OFFER_KINDS)
            share = Decimal(rng.choice(("0.10", "0.25", "0.50", "1.00")))
            offered = item.decided_at - timedelta(hours=rng.uniform(1, 24))
            offer_rows.append(_offer_row(item, kind, share, OfferStatus.FULFILLED, offered, fulfilled=True))
    return purchase_rows, offer_rows


@dataclass
class _Plan:
    """Everything decided up front, so batches can be generated without the database."""

    sizes: list[int]
    received: list[datetime]
    next_customer: int
    next_purchase: int
    next_complaint: int
    next_number: dict[int, int]


def _plan(ctx: _Context, *, complaints: int, batch: int) -> _Plan:
    """Spread the received times over the last two years and reserve every id and reference at once."""
    sizes = [batch] * (complaints // batch) + ([complaints % batch] if complaints % batch else [])
    # Sorted, and batches walk forward through time: references rise with received_at on a fresh database.
    start = ctx.now - ctx.spread
    span = (ctx.spread - timedelta(minutes=5)).total_seconds()
    received = [start + timedelta(seconds=s) for s in sorted(ctx.rng.random() * span for _ in range(complaints))]
    with transaction.atomic():
        return _Plan(
            sizes=sizes,
            received=received,
            next_customer=_reserve_ids(Customer, sum(max(1, n // 3) for n in sizes)),
            next_purchase=_reserve_ids(Purchase, sum(max(1, n // 2) for n in sizes)),
            next_complaint=_reserve_ids(Complaint, complaints),
            next_number=_reserve_references(when.year for when in received),
        )


def _build_batch(ctx: _Context, plan: _Plan, *, offset: int, size: int) -> list[_Table]:
    """The rows of one batch (no database access: runs in the generating thread)."""
    received = plan.received[offset : offset + size]
    # Of each batch's reserved purchase ids, two thirds for purchases before the complaints, the rest for repeats.
    n_customers, n_purchases = max(1, size // 3), max(1, size // 2)
    n_before = max(1, n_purchases * 2 // 3)
    first_customer, plan.next_customer = plan.next_customer, plan.next_customer + n_customers
    first_purchase, plan.next_purchase = plan.next_purchase, plan.next_purchase + n_purchases
    first_complaint, plan.next_complaint = plan.next_complaint, plan.next_complaint + size
    customer_rows, languages = _customer_rows(ctx, first_customer, n_customers, received[0])
    customer_ids = [first_customer + i for i in range(n_customers)]
    purchase_rows, owners = _purchase_rows(ctx, first_purchase, n_before, customer_ids, received[0])
    complaint_rows, event_rows, decided = _complaint_rows(
        ctx,
        first_id=first_complaint,
        received=received,
        customer_ids=customer_ids,
        customer_languages=dict(zip(customer_ids, languages, strict=True)),
        contacts={int(str(row[0])): (str(row[2]), str(row[1])) for row in customer_rows},
        purchases=[(first_purchase + i, owner, product) for i, (owner, product) in enumerate(owners)],
        next_number=plan.next_number,
    )
    repeat_rows, offer_rows = _after_decision_rows(
        ctx, decided=decided, first_purchase=first_purchase + n_before, purchases=n_purchases - n_before
    )
    tables = [
        _with_defaults(Customer, CUSTOMER_COLUMNS, customer_rows),
        _with_defaults(Purchase, PURCHASE_COLUMNS, purchase_rows + repeat_rows),
        _with_defaults(Complaint, COMPLAINT_COLUMNS, complaint_rows),
        _with_defaults(ComplaintEvent, EVENT_COLUMNS, event_rows),
        _with_defaults(CompensationOffer, OFFER_COLUMNS, offer_rows),
    ]
    if ctx.use_copy:
        tables = [_Table(t.model, t.columns, t.rows, _encode_csv(t.rows)) for t in tables]
    return tables


def _generate(
    ctx: _Context, plan: _Plan, out: queue.Queue[list[_Table] | BaseException], stop: threading.Event
) -> None:
    """Build the batches one ahead of the writer (the writer mostly waits on PostgreSQL, so the two overlap)."""

    def hand_over(item: list[_Table] | BaseException) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.5)
            except queue.Full:
                continue
            return True
        return False

    try:
        offset = 0
        for size in plan.sizes:
            tables = _build_batch(ctx, plan, offset=offset, size=size)
            offset += size
            if not hand_over(tables):
                return
    except BaseException as exc:  # the writer raises it
        hand_over(exc)


def _write_batches(ctx: _Context, plan: _Plan, *, started: float, total: int, log: Log) -> None:
    batches: queue.Queue[list[_Table] | BaseException] = queue.Queue(maxsize=2)
    stop = threading.Event()
    generator = threading.Thread(target=_generate, args=(ctx, plan, batches, stop), daemon=True)
    generator.start()
    try:
        for _ in plan.sizes:
            tables = batches.get()
            if isinstance(tables, BaseException):
                raise tables
            with transaction.atomic():
                for table in tables:
                    _write_table(table)
            customers, purchases, complaints, events, offers = (len(t.rows) for t in tables)
            ctx.result.customers += customers
            ctx.result.purchases += purchases
            ctx.result.complaints += complaints
            ctx.result.events += events
            ctx.result.offers += offers
            elapsed = time.monotonic() - started
            done = ctx.result.complaints
            log(
                f"  {done:>12,} / {total:,} complaints ({100 * done / total:5.1f}%)"
                f"  {elapsed:7.1f} s  {done / elapsed:8,.0f} complaints/s"
            )
    finally:
        stop.set()
        generator.join(timeout=60)


def _analyze(log: Log) -> None:
    models_seeded = (Customer, Purchase, Product, Complaint, ComplaintEvent, CompensationOffer)
    tables = [model._meta.db_table for model in models_seeded]
    started = time.monotonic()
    with connection.cursor() as cursor:
        if _is_postgresql():
            # VACUUM also sets the visibility map, as autovacuum would on a database in steady state.
            cursor.execute("VACUUM (ANALYZE) " + ", ".join(connection.ops.quote_name(t) for t in tables))
        else:
            cursor.execute("ANALYZE")
    log(f"VACUUM ANALYZE done in {time.monotonic() - started:.1f} s." if _is_postgresql() else "ANALYZE done.")


def bench_seed(*, complaints: int, batch: int = DEFAULT_BATCH, log: Log = print, seed: int | None = None) -> SeedResult:
    """Add ``complaints`` complaints (with customers, purchases and timelines) in batches of ``batch``.

    Ids and references are reserved up front; batches are generated in a background thread while the previous
    one is written, each in its own transaction, so an interrupted run leaves whole batches only (and unused
    ids and reference numbers, which is harmless). Returns what was written.
    """
    if complaints < 1:
        raise CommandError("--complaints must be at least 1.")
    if batch < 1:
        raise CommandError("--batch must be at least 1.")
    if transaction.get_connection().in_atomic_block:
        raise CommandError("bench_seed commits batch by batch; do not call it inside a transaction.")
    ctx = _Context(
        run_id=_run_id(),
        rng=random.Random(seed),  # noqa: S311 - benchmark data, not security
        now=timezone.now(),
        products=_bench_products(),
        agent_ids=_bench_agents(),
        team_ids=_bench_teams(),
        sla=_sla_durations(),
        use_copy=_is_postgresql(),
    )
    return _seed(ctx, complaints=complaints, batch=batch, log=log)


def _run_id() -> str:
    return timezone.now().strftime("%y%m%d%H%M") + secrets.token_hex(2)


# The demo's history is all settled: its open complaints are the few the demo tells a story with.
SETTLED_WEIGHTS: dict[str, int] = {Status.RESOLVED: 20, Status.CLOSED: 65, Status.REJECTED: 15}


def history_seed(
    *,
    complaints: int,
    days: int,
    products: Iterable[Product],
    agent_ids: list[int],
    team_ids: dict[str, int],
    seed: int = 2026,
    log: Log = print,
) -> SeedResult:
    """A settled history of ``complaints`` complaints over the last ``days`` days, for the demo's reports: the
    benchmark's generator on the demo's products, agents and teams (customers' emails start with "history").
    Unlike ``bench_seed`` it may run inside a transaction (its batches become savepoints)."""
    ctx = _Context(
        run_id=_run_id(),
        rng=random.Random(seed),  # noqa: S311 - demo data, not security
        now=timezone.now(),
        products=[BenchProduct(p.pk, p.kind, p.name, p.price, p.currency) for p in products],
        agent_ids=agent_ids,
        team_ids=team_ids,
        sla=_sla_durations(),
        use_copy=False,
        spread=timedelta(days=days),
        label="history",
        status_weights=SETTLED_WEIGHTS,
        service_until=timezone.now() - timedelta(days=2),
        analyze=False,
        working={
            policy.priority: working_time_for(policy.calendar)
            for policy in SlaPolicy.objects.filter(category="", product__isnull=True).select_related("calendar")
        },
    )
    return _seed(ctx, complaints=complaints, batch=DEFAULT_BATCH, log=log)


def _seed(ctx: _Context, *, complaints: int, batch: int, log: Log) -> SeedResult:
    started = time.monotonic()
    method = "COPY" if ctx.use_copy else "bulk_create"
    log(f"Seeding {complaints:,} complaints in batches of {batch:,} ({connection.vendor}, {method}), run {ctx.run_id}.")
    plan = _plan(ctx, complaints=complaints, batch=batch)
    _write_batches(ctx, plan, started=started, total=complaints, log=log)
    if ctx.analyze:
        _analyze(log)
    ctx.result.seconds = time.monotonic() - started
    result = ctx.result
    log(
        f"Added {result.customers:,} customers, {result.purchases:,} purchases, {result.complaints:,} complaints,"
        f" {result.events:,} timeline events and {result.offers:,} offers in {result.seconds:.1f} s."
    )
    return result
