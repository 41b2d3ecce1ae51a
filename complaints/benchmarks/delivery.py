"""The letter and promise-watch benchmarks of ``manage.py bench``: what the background side does at scale.

- **Sweep**: the promise sweep over a database where every complaint is open and exactly ``due`` of them are due:
  the minute's sweep and the full pass, each handing its alerts to the real Redis broker, timed. The database is
  changed inside a transaction that is rolled back, so the benchmark's data stays as seeded.
- **Letters**: one real Celery worker (prefork with two processes as the Procfile runs it, or the solo pool; the
  production settings) sending queued letters to a local SMTP
  sink (aiosmtpd), in letters per second from the first hand-over to the last arrival, beside the sink's own raw
  acceptance rate measured with plain ``smtplib`` in the same run (a new connection per message, as a worker that
  does not keep its connection would, and one connection for all), so it shows whether SMTP or our code is the
  bottleneck.
- **Acknowledgements**: complaints submitted over HTTP (the API, against gunicorn) with the worker running: the time
  from the request until the acknowledgement is in the sink, p50 and p99.

Only 127.0.0.1 is contacted; every process started is stopped at the end, also after an error.
"""

import logging
import smtplib
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from complaints.models import OPEN_STATUSES, Complaint
from complaints.services import sla_watch
from complaints.services.core import _letter_context
from notifications.models import Letter, LetterKind, LetterStatus
from notifications.services import letter_render

HOST = "127.0.0.1"
WORKER_READY_TIMEOUT = 60.0
Log = Callable[[str], None]


# --- the SMTP sink -------------------------------------------------------------------------------------------


class TimedSink:
    """An aiosmtpd handler that keeps the arrival time (``time.monotonic()``) of every message per recipient."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.count = 0
        self._changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.monotonic()
        with self._changed:
            for recipient in envelope.rcpt_tos:
                self.arrivals.setdefault(str(recipient).lower(), now)
            self.count += 1
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, total: int, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.count < total:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(timeout=min(remaining, 0.5))
        return True

    def reset(self) -> None:
        with self._changed:
            self.arrivals.clear()
            self.count = 0


@contextmanager
def timed_sink(port: int) -> Iterator[TimedSink]:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    handler = TimedSink()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def _sample_message(index: int, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.DEFAULT_FROM_EMAIL
    message["To"] = f"raw-{index}@example.com"
    message["Subject"] = "We have received your complaint"
    message["Message-ID"] = f"<raw-{uuid.uuid4().hex}@{settings.LETTER_MESSAGE_ID_DOMAIN}>"
    message.set_content(body)
    message.add_alternative(f"<p>{body}</p>", subtype="html")
    return message


def sink_raw_rate(*, port: int, sink: TimedSink, messages: int, reuse: bool, body: str) -> float:
    """Messages per second the sink accepts from a plain ``smtplib`` loop: a new connection per message, or
    (``reuse``) one connection for all."""
    sink.reset()
    started = time.monotonic()
    client: smtplib.SMTP | None = None
    try:
        for index in range(messages):
            if client is None:
                client = smtplib.SMTP(HOST, port, timeout=10)
            client.send_message(_sample_message(index, body))
            if not reuse:
                client.quit()
                client = None
    finally:
        if client is not None:
            with suppress(smtplib.SMTPException, OSError):
                client.quit()
    sink.wait_for(messages, timeout=30)
    return messages / (time.monotonic() - started)


# --- a real worker -------------------------------------------------------------------------------------------


@contextmanager
def celery_worker(
    *, env: dict[str, str], smtp_port: int, log_path: Path, concurrency: int = 2
) -> Iterator[subprocess.Popen[bytes]]:
    """``celery -A config worker`` as the Procfile starts it (prefork, ``concurrency`` processes; 1: the solo pool,
    one letter at a time) sending to the sink; stopped afterwards. This process's Celery app must publish to the
    worker's broker (it pings the worker to know it is ready)."""
    pool = ["--pool=solo"] if concurrency == 1 else ["--pool=prefork", f"--concurrency={concurrency}"]
    worker_env = {
        **env,
        "EMAIL_URL": f"smtp://{HOST}:{smtp_port}",
        "TEST_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_TIMEOUT": "10",
        "LOG_LEVEL": "INFO",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        *pool,
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname=bench-{uuid.uuid4().hex[:8]}@%h",
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
            command, cwd=settings.BASE_DIR, env=worker_env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_for_worker(process, log_path)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_for_worker(process: subprocess.Popen[bytes], log_path: Path) -> None:
    from config import celery_app

    deadline = time.monotonic() + WORKER_READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with code {process.returncode}; see {log_path}")
        with suppress(Exception):
            if celery_app.control.ping(timeout=1.0):
                return
        time.sleep(0.5)
    raise RuntimeError(f"the worker did not answer within {WORKER_READY_TIMEOUT:.0f} s; see {log_path}")


def outbox_drain(*, timeout: float) -> tuple[int, float]:
    """Wait until the worker has sent every letter waiting in the outbox (those of the HTTP workloads); returns
    how many were waiting and how long it took."""
    from notifications.services import letter_dispatch

    waiting = Letter.objects.filter(status__in=[LetterStatus.QUEUED, LetterStatus.SENDING])
    pending = list(waiting.filter(status=LetterStatus.QUEUED).values_list("pk", flat=True))
    for letter_id in pending:  # their tasks may have expired or been lost; a duplicate task is a no-op
        letter_dispatch(letter_id=letter_id)
    started = time.monotonic()
    while waiting.exists() and time.monotonic() - started < timeout:
        time.sleep(0.5)
    return len(pending), time.monotonic() - started


def health_check_today() -> Any:
    """The daily promise check run for today (``SlaHealthCheck``, what ``/dashboard/health/`` shows)."""
    from complaints.services.sla_watch import sla_health_check

    now = timezone.now()
    return sla_health_check(now=now, day=timezone.localtime(now).date())


def broker_purge() -> int:
    """Drop the tasks earlier workloads left in the bench's broker (their letters are gone or sent)."""
    from config import celery_app

    return int(celery_app.control.purge() or 0)


# --- letters per second -------------------------------------------------------------------------------------


@dataclass
class ThroughputResult:
    letters: int
    seconds: float
    hand_over_seconds: float
    raw_new_connection: float
    raw_one_connection: float
    sent: int

    @property
    def per_second(self) -> float:
        return self.letters / self.seconds if self.seconds else 0.0


def _letter_copies(*, count: int, run: str) -> list[int]:
    """``count`` queued acknowledgement letters, each on a complaint of its own and to an address of its own,
    copies of one rendered for the newest complaint (rendering is the services' cost, not the sending's)."""
    complaint_ids = list(Complaint.objects.order_by("-id").values_list("pk", flat=True)[:count])
    if not complaint_ids:
        raise RuntimeError("no complaints to write letters about: seed the database first")
    newest = Complaint.objects.select_related("customer").get(pk=complaint_ids[0])
    subject, text, html = letter_render(
        kind=LetterKind.ACKNOWLEDGEMENT, language=newest.language, context=_letter_context(newest)
    )
    now = timezone.now()
    rows = [
        Letter(
            complaint_id=complaint_id,
            recipient=f"bench-letter-{run}-{index}@example.com",
            kind=LetterKind.ACKNOWLEDGEMENT,
            language=newest.language,
            subject=subject,
            body_text=text,
            body_html=html,
            idempotency_key=f"bench:{run}:{index}",
            message_id=f"<bench-{run}-{index}@{settings.LETTER_MESSAGE_ID_DOMAIN}>",
            status=LetterStatus.QUEUED,
            next_attempt_at=now,
            created_at=now,
        )
        for index, complaint_id in enumerate(complaint_ids)
    ]
    return [letter.pk for letter in Letter.objects.bulk_create(rows, batch_size=1000)]


def letter_throughput(*, sink: TimedSink, port: int, count: int, log: Log) -> ThroughputResult:
    """Queue ``count`` letters, hand them all to the broker, and time the worker until the sink has them."""
    from notifications.services import letter_dispatch

    run = uuid.uuid4().hex[:8]
    sample = Letter.objects.filter(kind=LetterKind.ACKNOWLEDGEMENT).order_by("-id").values_list("body_text", flat=True)
    body = sample.first() or "We have received your complaint."
    raw_new = sink_raw_rate(port=port, sink=sink, messages=count, reuse=False, body=body)
    raw_one = sink_raw_rate(port=port, sink=sink, messages=count, reuse=True, body=body)
    log(f"  the sink's raw rate: {raw_new:,.0f}/s with a new connection each, {raw_one:,.0f}/s over one connection")
    ids = _letter_copies(count=count, run=run)
    connection.close()
    sink.reset()
    started = time.monotonic()
    for letter_id in ids:
        letter_dispatch(letter_id=letter_id)
    handed = time.monotonic() - started
    sink.wait_for(len(ids), timeout=max(60.0, count / 5))
    last = max(sink.arrivals.values(), default=time.monotonic())
    sent = Letter.objects.filter(pk__in=ids, status=LetterStatus.SENT).count()
    result = ThroughputResult(
        letters=len(ids),
        seconds=last - started,
        hand_over_seconds=handed,
        raw_new_connection=raw_new,
        raw_one_connection=raw_one,
        sent=sent,
    )
    Letter.objects.filter(pk__in=ids).delete()
    return result


# --- submission to acknowledgement ------------------------------------------------------------------------------


@dataclass
class LatencyResult:
    submitted: int
    latencies: list[float] = field(default_factory=list)
    missing: int = 0

    def percentile_ms(self, pct: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        rank = max(1, round(pct / 100 * len(ordered)))
        return ordered[min(rank, len(ordered)) - 1] * 1000


def acknowledgement_latency(
    *, sink: TimedSink, post_json: Callable[[str, dict[str, Any]], int], count: int, interval: float, prefix: str
) -> LatencyResult:
    """Submit ``count`` complaints through the API, one every ``interval`` seconds, and measure until each one's
    acknowledgement reaches the sink."""
    sink.reset()
    sent_at: dict[str, float] = {}
    for index in range(count):
        email = f"{prefix}ack-{index}@example.com"
        started = time.monotonic()
        status = post_json(
            "/api/v1/complaints/",
            {
                "name": "Latency Bench",
                "email": email,
                "category": "defect",
                "description": "The kettle stopped working after two days (benchmark).",
            },
        )
        if status == 201:
            sent_at[email] = started
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
    sink.wait_for(len(sent_at), timeout=60)
    result = LatencyResult(submitted=len(sent_at))
    for email, started in sent_at.items():
        arrived = sink.arrivals.get(email)
        if arrived is None:
            result.missing += 1
        else:
            result.latencies.append(arrived - started)
    return result


# --- the promise sweep at scale -------------------------------------------------------------------------------


@dataclass
class SweepResult:
    open_complaints: int
    due: int
    prepare_seconds: float
    minute_seconds: list[float]
    full_seconds: list[float]
    minute_read_seconds: list[float]
    full_read_seconds: list[float]
    handed_minute: int
    handed_full: int


class _Rollback(Exception):
    pass


def _no_hand_over(alerts: list[sla_watch.Alert]) -> None:
    """Reading alone: the alerts found are dropped (the sweep's own reads, without the broker)."""


def sweep_at_scale(*, due: int, runs: int, log: Log) -> SweepResult:
    """Inside a transaction rolled back at the end: every complaint open, its promises weeks ahead, and ``due``
    of them with a first response due 30 seconds ago; then time the minute's sweep and the full pass, reading
    alone and handing the alerts to the broker as beat's sweep does (in chunks)."""
    from complaints.tasks import _alert_dispatch

    result: SweepResult | None = None
    try:
        with transaction.atomic():
            started = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE complaints_complaint SET status = 'in_progress', first_responded_at = NULL,"
                    " sla_paused_at = NULL, next_response_due = NULL,"
                    " first_response_due = now() + interval '2 days' + (id % 1000) * interval '1 hour',"
                    " resolution_due = now() + interval '3 days' + (id % 1000) * interval '1 hour'"
                )
                cursor.execute(
                    "UPDATE complaints_complaint SET first_response_due = now() - interval '30 seconds'"
                    " WHERE id IN (SELECT id FROM complaints_complaint ORDER BY random() LIMIT %s)",
                    [due],
                )
                cursor.execute("ANALYZE complaints_complaint")
            prepare = time.monotonic() - started
            open_count = Complaint.objects.filter(status__in=list(OPEN_STATUSES)).count()
            log(f"  {open_count:,} open complaints, {due:,} due, prepared in {prepare:,.1f} s")
            times: dict[str, list[float]] = {"minute": [], "full": [], "minute_read": [], "full_read": []}
            handed = {"minute": 0, "full": 0}
            for _ in range(runs):
                for kind in ("minute", "full"):
                    for key, dispatch in ((f"{kind}_read", _no_hand_over), (kind, _alert_dispatch)):
                        now = timezone.now()
                        began = time.monotonic()
                        counts = sla_watch.sla_sweep(now=now, dispatch=dispatch, full=kind == "full")
                        times[key].append(time.monotonic() - began)
                        handed[kind] = counts["breaches"] + counts["warnings"]
            result = SweepResult(
                open_complaints=open_count,
                due=due,
                prepare_seconds=prepare,
                minute_seconds=times["minute"],
                full_seconds=times["full"],
                minute_read_seconds=times["minute_read"],
                full_read_seconds=times["full_read"],
                handed_minute=handed["minute"],
                handed_full=handed["full"],
            )
            raise _Rollback
    except _Rollback:
        pass
    broker_purge()
    if result is None:
        raise RuntimeError("the sweep benchmark did not finish")
    return result


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:,.0f}" if values else "-"
