"""``manage.py bench_incident --customers N``: how long apologising for an outage takes, and where the time goes.

Seeds (with ``COPY``) N customers, each with a month of a subscription on one product, into the benchmark
database; declares a four-hour night outage of that product; then measures

(a) the affected set: the one ``UPDATE`` and one ``INSERT … SELECT`` of ``affected_refresh``;
(b) the fan-out: from "Apologise and compensate" until every credit is recorded and every letter is queued,
    done by a real Celery worker in batches;
(c) delivery: until every apology letter is in a local aiosmtpd sink (letters/s), next to the sink's raw
    acceptance rate measured by a plain ``smtplib`` loop in the same run (a new connection per message, and one
    connection for all, as a worker process keeps it), so a slow figure can be blamed on SMTP or on our code. The
    sink, the raw loop and the worker are those of ``make bench`` (``complaints.benchmarks.delivery``).

Each run tags its emails and order numbers, so running it again only adds data. The broker is ``REDIS_URL``
with a key prefix of its own: point it at a Redis database no test run flushes (the test suite's cache clear
empties its own database, tasks included).
"""

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from compensation.incidents.affected import affected_refresh
from compensation.incidents.services import incident_compensate, incident_declare
from compensation.models import IncidentCredit, IncidentRun, RunStatus
from complaints.benchmarks import delivery
from complaints.benchmarks.harness import _ensure_database, _free_port
from complaints.benchmarks.seeding import _encode_csv, _reserve_ids, _with_defaults, _write_table
from complaints.permissions import MANAGERS_GROUP
from customers.models import Customer, Product, Purchase
from notifications.models import Letter, LetterKind, LetterStatus

Log = Callable[[str], None]
OUTAGE = (datetime(2026, 3, 10, 1, 0, tzinfo=UTC), datetime(2026, 3, 10, 5, 0, tzinfo=UTC))
PERIOD = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
SEED_CHUNK = 50_000


@dataclass
class IncidentBenchResult:
    customers: int
    seed_seconds: float
    affected_seconds: float
    affected_rows: int
    fanout_seconds: float
    credits: int
    letters_queued: int
    delivery_seconds: float
    letters_delivered: int
    raw_new_connection_per_s: float
    raw_one_connection_per_s: float
    batches: int


def _seed(*, customers: int, tag: str, log: Log) -> Product:
    """N customers with one month of the product each, written with COPY."""
    product = Product.objects.create(
        code=f"bench-hosting-{tag}",
        name="Web hosting",
        kind=Product.Kind.SUBSCRIPTION,
        price=Decimal("720.00"),
        currency="RUB",
    )
    now = datetime.now(tz=UTC)
    done = 0
    while done < customers:
        size = min(SEED_CHUNK, customers - done)
        with transaction.atomic():
            first_customer = _reserve_ids(Customer, size)
            first_purchase = _reserve_ids(Purchase, size)
            customer_rows: list[tuple[object, ...]] = [
                (first_customer + i, f"inc-{tag}-{done + i}@bench.example", f"Site owner {done + i}", "en", now, "", "")
                for i in range(size)
            ]
            purchase_rows: list[tuple[object, ...]] = [
                (
                    first_purchase + i,
                    first_customer + i,
                    product.pk,
                    f"INC-{tag}-{done + i}",
                    PERIOD[0].date(),
                    Decimal("720.00"),
                    "RUB",
                    PERIOD[0],
                    PERIOD[1],
                    "",
                )
                for i in range(size)
            ]
            for model, columns, rows in (
                (Customer, ("id", "email", "name", "language", "created_at", "phone", "external_id"), customer_rows),
                (
                    Purchase,
                    (
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
                    ),
                    purchase_rows,
                ),
            ):
                table = _with_defaults(model, columns, rows)
                table = type(table)(table.model, table.columns, table.rows, _encode_csv(table.rows))
                _write_table(table)
        done += size
        log(f"  seeded {done:,} of {customers:,} customers")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer; ANALYZE customers_purchase")
    return product


def _bench_manager() -> Any:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-incident-manager", defaults={"first_name": "Bench", "last_name": "Manager"}
    )
    user.groups.add(Group.objects.get(name=MANAGERS_GROUP))
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


def _database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or ""
    password = db.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _worker_env(key_prefix: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_KEY_PREFIX": key_prefix,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONUNBUFFERED": "1",
    }


def _use_broker(key_prefix: str) -> None:
    """Publish from this process to the worker's broker keys, not eagerly."""
    import kombu.pools

    from config import celery_app

    kombu.pools.reset()
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.conf.update(
        task_always_eager=False,
        broker_url=settings.REDIS_URL,
        broker_transport_options={**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": key_prefix},
    )


def _delete_broker_keys(key_prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
    keys = list(client.scan_iter(match=f"{key_prefix}*", count=500))
    if keys:
        client.delete(*keys)


def _wait(condition: Callable[[], bool], *, timeout: float, what: str) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise CommandError(f"Timed out after {timeout:.0f}s waiting for {what}.")
        time.sleep(0.2)
    return time.perf_counter() - started


def bench_incident(
    *, customers: int, concurrency: int = 2, raw_messages: int = 1000, timeout: float = 3600, log: Log = print
) -> IncidentBenchResult:
    if connection.vendor != "postgresql":
        raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://.../amends_incidents_bench.")
    name = str(settings.DATABASES["default"]["NAME"])
    if "bench" not in name:
        raise CommandError(f'Refusing to benchmark the database "{name}": its name must contain "bench".')
    if not settings.REDIS_URL:
        raise CommandError("The benchmark needs Redis for the Celery broker: set REDIS_URL.")
    if customers < 1:
        raise CommandError("--customers must be at least 1.")
    log(f"Database: {_ensure_database()}")
    call_command("migrate", interactive=False, verbosity=0)
    tag = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    product = _seed(customers=customers, tag=tag, log=log)
    seed_seconds = time.perf_counter() - started
    manager = _bench_manager()
    incident = incident_declare(
        actor=manager,
        title=f"Storage array failure {tag}",
        public_description="A storage array failed at night; we moved every site to healthy hardware by 05:00.",
        product_ids=[product.pk],
        started_at=OUTAGE[0],
        ended_at=OUTAGE[1],
        severity="critical",
    )

    # (a) the affected set, in SQL
    started = time.perf_counter()
    with transaction.atomic():
        refreshed = affected_refresh(incident=incident, start=OUTAGE[0], end=OUTAGE[1])
    affected_seconds = time.perf_counter() - started
    log(f"(a) affected set: {refreshed.inserted:,} purchases in {affected_seconds:.2f}s")

    key_prefix = f"amends-bench-incident-{tag}:"
    log_dir = Path(settings.VAR_DIR)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"bench-incident-{tag}.log"
    _use_broker(key_prefix)
    sample = "Dear customer,\n\n" + "We are sorry: this is our fault. " * 20
    with delivery.timed_sink(delivery_port := _free_port()) as sink:
        raw_new = delivery.sink_raw_rate(port=delivery_port, sink=sink, messages=raw_messages, reuse=False, body=sample)
        raw_one = delivery.sink_raw_rate(port=delivery_port, sink=sink, messages=raw_messages, reuse=True, body=sample)
        log(f"raw smtplib: {raw_new:,.0f} msg/s (connection per message), {raw_one:,.0f} msg/s (one connection)")
        sink.reset()
        try:
            with delivery.celery_worker(
                env=_worker_env(key_prefix), smtp_port=delivery_port, log_path=log_path, concurrency=concurrency
            ) as worker:
                # (b) fan-out: every credit recorded, every letter queued
                started = time.perf_counter()
                run = incident_compensate(incident=incident, actor=manager)

                def finished() -> bool:
                    if worker.poll() is not None:
                        raise CommandError(f"The worker exited; see {log_path}")
                    return IncidentRun.objects.filter(pk=run.pk, status=RunStatus.FINISHED).exists()

                _wait(finished, timeout=timeout, what="the fan-out")
                fanout_seconds = time.perf_counter() - started
                log(f"(b) fan-out: {fanout_seconds:.1f}s")
                # (c) delivery: every letter in the sink
                _wait(lambda: sink.count >= customers, timeout=timeout, what="the letters in the sink")
                delivery_seconds = time.perf_counter() - started
                log(f"(c) delivery: {delivery_seconds:.1f}s")
        finally:
            _delete_broker_keys(key_prefix)
    run.refresh_from_db()
    letters = Letter.objects.filter(
        kind=LetterKind.INCIDENT_APOLOGY, idempotency_key__startswith=f"incident:{incident.pk}:"
    )
    return IncidentBenchResult(
        customers=customers,
        seed_seconds=seed_seconds,
        affected_seconds=affected_seconds,
        affected_rows=refreshed.inserted,
        fanout_seconds=fanout_seconds,
        credits=IncidentCredit.objects.filter(incident=incident, amount__gt=0).count(),
        letters_queued=letters.count(),
        delivery_seconds=delivery_seconds,
        letters_delivered=letters.filter(status=LetterStatus.SENT).count(),
        raw_new_connection_per_s=raw_new,
        raw_one_connection_per_s=raw_one,
        batches=run.batches_total,
    )


def bench_incident_table(result: IncidentBenchResult) -> str:
    """The result as a plain-text table."""
    rows = [
        ("customers (seeded with COPY)", f"{result.customers:,}", f"{result.seed_seconds:.1f} s"),
        ("(a) affected set in SQL", f"{result.affected_rows:,} purchases", f"{result.affected_seconds:.2f} s"),
        (
            "(b) fan-out: credits + letters queued",
            f"{result.credits:,} credits, {result.letters_queued:,} letters, {result.batches} batches",
            f"{result.fanout_seconds:.1f} s ({result.customers / result.fanout_seconds:,.0f} customers/s)",
        ),
        (
            "(c) letters in the sink (from the press)",
            f"{result.letters_delivered:,} sent",
            f"{result.delivery_seconds:.1f} s ({result.customers / result.delivery_seconds:,.0f} letters/s)",
        ),
        ("raw smtplib, connection per message", "", f"{result.raw_new_connection_per_s:,.0f} msg/s"),
        ("raw smtplib, one connection", "", f"{result.raw_one_connection_per_s:,.0f} msg/s"),
    ]
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [" | ".join(cell.ljust(width[i]) for i, cell in enumerate(row)) for row in rows]
    return "\n".join(["-+-".join("-" * w for w in width), *lines])
