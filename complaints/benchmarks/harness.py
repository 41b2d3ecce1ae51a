"""Measure the main workloads over real HTTP against gunicorn, on a PostgreSQL database of N complaints.

``make bench COMPLAINTS=100000`` runs ``manage.py bench`` with ``DATABASE_URL`` pointing at ``amends_bench``.
The command creates and migrates that database when needed, tops it up to N complaints with the bulk
seeder, starts gunicorn with the production settings on a free port of 127.0.0.1, and times these
workloads from a pool of client threads, each with its own keep-alive connection and cookies:

(a) the public complaint form: GET the form for the CSRF token (not timed), then POST it (timed);
(b) the staff queue, first page, as a logged-in support agent; (b2) later queue pages through ``?after=``;
(b3) a filtered queue page (status, priority and product); (b4) page 1,000 of the queue, through a cursor
built from the row 49,950 rows in; (b5) full-text searches for names and words;
(c) a complaint's staff page for random existing references;
(d) the API list with token authentication.

Besides the client's latency, each response's ``Server-Timing`` header (``config.middleware``) gives the time
the app spent on it and its SQL query count, so waiting in the client, the socket or gunicorn's queue can be
told apart from the server's own work.

Only 127.0.0.1 is contacted, every loop has a fixed number of requests and every request a timeout. Unless
``--keep-data`` is given, the complaints submitted by workload (a) are removed afterwards, so repeated runs
measure the same data set.
"""

import http.client
import json
import os
import queue
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import psycopg2  # type: ignore[import-untyped]
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone
from psycopg2 import sql
from rest_framework.authtoken.models import Token

from complaints.benchmarks import delivery
from complaints.benchmarks.seeding import bench_seed
from complaints.models import OPEN_STATUSES, Category, Complaint, DesiredResolution, Priority, Status
from complaints.permissions import AGENTS_GROUP, MANAGERS_GROUP
from complaints.queue import Sort, cursor_encode
from complaints.reports.registry import REPORTS
from customers.models import Customer, Product

HOST = "127.0.0.1"
BENCH_USERNAME = "bench-staff"
BENCH_MANAGER = "bench-manager"
# Timed requests of each report workload: the default period, then a year.
REPORT_REQUESTS = 40
REPORT_YEAR_REQUESTS = 10
REQUEST_TIMEOUT = 30.0
STARTUP_TIMEOUT = 60.0
REFERENCE_SAMPLE = 1000
ERRORS_SHOWN = 5
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')
NEXT_CURSOR = re.compile(r"[?&](?:amp;)?after=([^\"'&\s>]+)")
SERVER_TIMING_APP = re.compile(r"(?:^|,)\s*app;dur=([0-9.]+)")
SERVER_TIMING_QUERIES = re.compile(r'desc="(\d+) queries"')
# The queue's page size (complaints.views.staff.QUEUE_PAGE_SIZE) and the page workload (b4) opens.
QUEUE_PAGE_SIZE = 50
DEEP_PAGE = 1000
# Workload (b3): open complaints in progress, of normal priority, about this product.
FILTER_PRODUCT_CODE = "bench-kettle"
# Workload (b5): what an agent types in the search box (a customer's name, a word of the text, in both languages).
SEARCHES = ("emily walker", "kettle", "смирнова", "refund", "wright")

SUBMISSIONS: tuple[tuple[str, str, str, str], ...] = (
    # (Accept-Language, name, category, description)
    (
        "en",
        "Emily Walker",
        Category.DEFECT,
        "The kettle I bought last month stopped heating. The light comes on but the water stays cold.",
    ),
    (
        "en",
        "Daniel Evans",
        Category.SERVICE_OUTAGE,
        "Home Internet 500 was down from 1 am to 5 am last night. I work night shifts and lost a whole shift.",
    ),
    (
        "en",
        "Laura Patel",
        Category.BILLING,
        "I was charged twice for my Web Hosting Pro plan this month. Please refund the second payment.",
    ),
    (
        "ru",
        "Иван Петров",
        Category.SERVICE_OUTAGE,
        "Ночью сайт на тарифе Web Hosting Pro не работал четыре часа. Прошу перерасчёт за простой.",
    ),
    (
        "ru",
        "Ольга Смирнова",
        Category.DELIVERY,
        "Роутер привезли с опозданием на неделю, коробка была повреждена. Прошу заменить устройство.",  # noqa: RUF001
    ),
)


# --- a tiny HTTP client -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    seconds: float
    # From the Server-Timing header: the app's own time (ms) and its SQL queries; None when absent.
    server_ms: float | None = None
    queries: int | None = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def summary(self) -> str:
        snippet = " ".join(self.text.split())[:160]
        return f"HTTP {self.status}: {snippet}"


class Client:
    """One keep-alive connection to 127.0.0.1 with its own cookie jar. Used by one thread only."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        """Send one request; a keep-alive connection the server has closed is reopened once."""
        all_headers = {"Host": f"{HOST}:{self.port}", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
            started = time.perf_counter()
            try:
                self._conn.request(method, path, body=body, headers=all_headers)
                response = self._conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2 or not reused:
                    raise
                continue
            seconds = time.perf_counter() - started
            for header in response.msg.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            if response.will_close:
                self.close()
            timing = response.getheader("Server-Timing") or ""
            app = SERVER_TIMING_APP.search(timing)
            queries = SERVER_TIMING_QUERIES.search(timing)
            return Response(
                status=response.status,
                body=data,
                seconds=seconds,
                server_ms=float(app.group(1)) if app else None,
                queries=int(queries.group(1)) if queries else None,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, fields: Mapping[str, str], headers: Mapping[str, str] | None = None) -> Response:
        body = urllib.parse.urlencode(fields).encode()
        return self.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        )

    def csrf_token(self, page: Response) -> str:
        """The form's CSRF token, or the cookie's secret (Django accepts either)."""
        found = CSRF_FIELD.search(page.text)
        return found.group(1) if found else self.cookies.get("csrftoken", "")


class BenchError(Exception):
    """A request that did not succeed; the message is shown in the first errors of a workload."""


def _expect(response: Response, *statuses: int) -> Response:
    if response.status not in statuses:
        raise BenchError(response.summary())
    return response


def _login(client: Client, username: str, password: str) -> None:
    page = _expect(client.get("/accounts/login/"), 200)
    token = client.csrf_token(page)
    fields = {"username": username, "password": password, "csrfmiddlewaretoken": token}
    response = client.post_form("/accounts/login/", fields)
    if response.status != 302 or "sessionid" not in client.cookies:
        raise BenchError(f"login as {username} failed: {response.summary()}")


# --- workloads ---------------------------------------------------------------------------------------------


@dataclass
class WorkerState:
    """What one client thread keeps between its requests."""

    client: Client
    thread: int
    cursor: str = ""


@dataclass(frozen=True)
class Workload:
    key: str  # what --only names it by
    title: str
    # Runs once per thread before timing starts (log in, find a first cursor).
    prepare: Callable[[WorkerState], None]
    # One timed request: returns the timed response or raises BenchError.
    run: Callable[[WorkerState, int], Response]
    # At most this many timed requests, from this many threads (the run's own numbers when None).
    requests: int | None = None
    concurrency: int | None = None


def _nearest_rank(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


@dataclass
class WorkloadResult:
    title: str
    requests: int = 0
    latencies: list[float] = field(default_factory=list)
    # The app's own time per response (ms, from Server-Timing) and its SQL query count.
    server_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: str = ""
    load: float = 0.0  # 1-minute load average when the timed requests started

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, pct: float) -> float | None:
        """Nearest-rank percentile of the successful requests' client latency, in milliseconds."""
        found = _nearest_rank(self.latencies, pct)
        return None if found is None else found * 1000

    def server_percentile_ms(self, pct: float) -> float | None:
        """Nearest-rank percentile of the server's own time (Server-Timing), in milliseconds."""
        return _nearest_rank(self.server_ms, pct)


def _run_workload(workload: Workload, *, port: int, requests: int, concurrency: int) -> WorkloadResult:
    """Run ``requests`` timed requests from ``concurrency`` threads; preparation is not timed."""
    result = WorkloadResult(title=workload.title, requests=requests)
    tasks: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(requests):
        tasks.put(index)
    ready = threading.Barrier(concurrency + 1, timeout=STARTUP_TIMEOUT * 2)
    lock = threading.Lock()

    def worker(thread: int) -> None:
        state = WorkerState(client=Client(port), thread=thread)
        failure = ""
        try:
            workload.prepare(state)
        except (BenchError, OSError, http.client.HTTPException) as exc:
            failure = f"preparation failed: {exc}"
        with suppress(threading.BrokenBarrierError):
            ready.wait()
        responses: list[Response] = []
        errors: list[str] = []
        while True:
            try:
                index = tasks.get_nowait()
            except queue.Empty:
                break
            if failure:
                errors.append(failure)
                continue
            try:
                responses.append(workload.run(state, index))
            except (BenchError, OSError, http.client.HTTPException) as exc:
                errors.append(str(exc) or type(exc).__name__)
        state.client.close()
        with lock:
            result.latencies += [r.seconds for r in responses]
            result.server_ms += [r.server_ms for r in responses if r.server_ms is not None]
            result.queries += [r.queries for r in responses if r.queries is not None]
            result.errors += errors

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    with suppress(threading.BrokenBarrierError):
        ready.wait()
    result.load = os.getloadavg()[0]
    started = time.perf_counter()
    # Each request may take two attempts of REQUEST_TIMEOUT at worst; the threads share the requests.
    deadline = time.monotonic() + (requests / concurrency + 2) * REQUEST_TIMEOUT * 2
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    result.seconds = time.perf_counter() - started
    if any(thread.is_alive() for thread in threads):
        result.errors.append("some client threads did not finish in time")
    return result


@dataclass(frozen=True)
class QueueTargets:
    """The queue URLs the queue workloads open, found in the database before the server starts."""

    filtered: str  # (b3): status, priority and product
    deep: str  # (b4): page DEEP_PAGE of the default order, or "" when the queue is shorter


def queue_targets(*, page_size: int = QUEUE_PAGE_SIZE, deep_page: int = DEEP_PAGE) -> QueueTargets:
    """The filtered page's query string, and the cursor of page ``deep_page``: built from the row
    ``(deep_page - 1) * page_size - 1`` places into the open queue, newest first, the way the page's own
    "Next page" link encodes the last row of the page before."""
    product = Product.objects.filter(code=FILTER_PRODUCT_CODE).values_list("pk", flat=True).first()
    filtered: dict[str, str] = {"status": Status.IN_PROGRESS.value, "priority": Priority.NORMAL.value}
    if product is not None:
        filtered["product"] = str(product)
    offset = (deep_page - 1) * page_size - 1
    row = (
        Complaint.objects.filter(status__in=OPEN_STATUSES)
        .order_by("-received_at", "-id")
        .only("id", "received_at", "priority")[offset : offset + 1]
        .first()
    )
    deep = f"/dashboard/?after={cursor_encode(row, Sort.NEWEST)}" if row is not None else ""
    return QueueTargets(filtered=f"/dashboard/?{urllib.parse.urlencode(filtered)}", deep=deep)


class Bench:
    """The workloads of one benchmark run, sharing the staff login, API token and reference sample."""

    def __init__(
        self,
        *,
        port: int,
        password: str,
        token: str,
        references: list[str],
        run_id: str,
        targets: QueueTargets,
        manager_password: str = "",
    ) -> None:
        self.port = port
        self.password = password
        self.manager_password = manager_password
        self.token = token
        self.references = references
        self.run_id = run_id
        self.targets = targets
        self.rng = random.Random()  # noqa: S311 - picking sample data, not security
        self.rng_lock = threading.Lock()

    @property
    def email_prefix(self) -> str:
        return f"bench-web-{self.run_id}-"

    @classmethod
    def workload_list(cls) -> list[Workload]:
        """The workloads (their keys and titles), unbound: for checking ``--only``."""
        bench = cls(port=0, password="", token="", references=[], run_id="", targets=QueueTargets("", ""))
        return bench.workloads()

    def workloads(self) -> list[Workload]:
        return [
            Workload("a", "(a) public submission (POST)", self._no_prepare, self._submit),
            Workload("b", "(b) staff queue, first page", self._login, self._queue_first),
            Workload("b2", "(b2) staff queue, ?after= pages", self._login_and_cursor, self._queue_next),
            Workload("b3", "(b3) staff queue, filtered page", self._login, self._queue_filtered),
            Workload("b4", f"(b4) staff queue, page {DEEP_PAGE:,}", self._login_and_deep, self._queue_deep),
            Workload("b5", "(b5) staff queue, full-text search", self._login, self._queue_search),
            Workload("c", "(c) complaint page (staff)", self._login, self._detail),
            Workload("d", "(d) API list (token)", self._no_prepare, self._api_list),
            *self._report_workloads(),
        ]

    def _report_workloads(self) -> list[Workload]:
        """Each managers' report, opened one at a time (its server time alone): for the last 30 days (the page's
        default) as ``r-<slug>``, the last 90 as ``q-<slug>`` and the last 365 as ``y-<slug>``."""
        workloads = []
        periods = ((30, "r", REPORT_REQUESTS), (90, "q", REPORT_REQUESTS), (365, "y", REPORT_YEAR_REQUESTS))
        for days, prefix, requests in periods:
            for slug in REPORTS:
                workloads.append(
                    Workload(
                        f"{prefix}-{slug}",
                        f"({prefix}) report {slug}, {days} days",
                        self._login_manager,
                        partial(self._report, slug=slug, days=days),
                        requests=requests,
                        concurrency=1,
                    )
                )
        return workloads

    def _login_manager(self, state: WorkerState) -> None:
        _login(state.client, BENCH_MANAGER, self.manager_password)

    def _report(self, state: WorkerState, index: int, *, slug: str, days: int) -> Response:
        today = timezone.localdate()
        period = {"date_from": (today - timedelta(days=days - 1)).isoformat(), "date_to": today.isoformat()}
        page = _expect(state.client.get(f"/reports/{slug}/?{urllib.parse.urlencode(period)}"), 200)
        if 'data-testid="report-figures"' not in page.text:
            raise BenchError(f"the {slug} report shows no figures")
        return page

    def _no_prepare(self, state: WorkerState) -> None:
        return None

    def _login(self, state: WorkerState) -> None:
        _login(state.client, BENCH_USERNAME, self.password)

    def _pick(self, options: tuple[Any, ...] | list[Any]) -> Any:
        with self.rng_lock:
            return self.rng.choice(options)

    def _submit(self, state: WorkerState, index: int) -> Response:
        client = state.client
        client.cookies.clear()  # every submission is a new visitor
        language, name, category, description = self._pick(SUBMISSIONS)
        headers = {"Accept-Language": language}
        page = _expect(client.get("/complaints/new/", headers=headers), 200)
        fields = {
            "name": name,
            "email": f"{self.email_prefix}{state.thread}-{index}@example.com",
            "phone": "+7 912 345-67-89",
            "order_number": f"BENCH-{index:06d}",
            "category": category,
            "description": description,
            "desired_resolution": self._pick(("", *DesiredResolution.values)),
            "consent": "on",
            "submission_token": _hidden_value(page.text, "submission_token"),
            "csrfmiddlewaretoken": client.csrf_token(page),
        }
        response = client.post_form("/complaints/new/", fields, headers=headers)
        if response.status == 200:
            raise BenchError("the form came back (HTTP 200): the submission was not accepted")
        return _expect(response, 302, 303)

    def _queue_first(self, state: WorkerState, index: int) -> Response:
        return _expect(state.client.get("/dashboard/"), 200)

    def _first_cursor(self, state: WorkerState) -> None:
        page = _expect(state.client.get("/dashboard/"), 200)
        found = NEXT_CURSOR.search(page.text)
        if found is None:
            raise BenchError("the queue page has no ?after= link")
        state.cursor = found.group(1)

    def _login_and_cursor(self, state: WorkerState) -> None:
        self._login(state)
        self._first_cursor(state)

    def _queue_next(self, state: WorkerState, index: int) -> Response:
        page = _expect(state.client.get(f"/dashboard/?after={state.cursor}"), 200)
        found = NEXT_CURSOR.search(page.text)
        if found is not None:
            state.cursor = found.group(1)
        else:  # reached the end of the queue: start again
            self._first_cursor(state)
        return page

    def _queue_filtered(self, state: WorkerState, index: int) -> Response:
        return _expect(state.client.get(self.targets.filtered), 200)

    def _login_and_deep(self, state: WorkerState) -> None:
        if not self.targets.deep:
            raise BenchError(f"the queue has fewer than {DEEP_PAGE:,} pages")
        self._login(state)

    def _queue_deep(self, state: WorkerState, index: int) -> Response:
        page = _expect(state.client.get(self.targets.deep), 200)
        if "<tr data-reference=" not in page.text:
            raise BenchError(f"page {DEEP_PAGE:,} of the queue came back empty")
        return page

    def _queue_search(self, state: WorkerState, index: int) -> Response:
        words = SEARCHES[index % len(SEARCHES)]
        return _expect(state.client.get(f"/dashboard/?{urllib.parse.urlencode({'q': words})}"), 200)

    def _detail(self, state: WorkerState, index: int) -> Response:
        reference = self._pick(self.references)
        return _expect(state.client.get(f"/dashboard/complaints/{reference}/"), 200)

    def _api_list(self, state: WorkerState, index: int) -> Response:
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        return _expect(state.client.get("/api/v1/complaints/", headers=headers), 200)


# --- the server -------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _hidden_value(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"\s+value="([^"]*)"', html) or re.search(rf'value="([^"]*)"\s+name="{name}"', html)
    return found.group(1) if found else ""


def _server_env(bench_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "SECURE_COOKIES": "false",
            "DEBUG": "false",
            "AMENDS_VAR_DIR": str(bench_dir),
            "STATIC_ROOT": str(bench_dir / "static"),
            "LOG_LEVEL": "WARNING",
            # Every benchmark submission comes from 127.0.0.1: lift the per-address abuse limit.
            "COMPLAINT_LIMIT_PER_IP": "100000000",
            "API_SUBMIT_RATE": "100000000/hour",
        }
    )
    return env


def _gunicorn_path() -> str:
    beside_python = Path(sys.executable).with_name("gunicorn")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("gunicorn")
    if found is None:
        raise CommandError("gunicorn is not installed (pip install -r requirements.txt).")
    return found


@contextmanager
def _gunicorn(
    *, port: int, env: dict[str, str], log_path: Path, workers: int, threads: int, worker_class: str = "gthread"
) -> Iterator[None]:
    """Run gunicorn for the duration of the block; always stopped afterwards, even on error."""
    command = [
        _gunicorn_path(),
        "config.wsgi",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        # gunicorn quietly turns sync workers with threads into gthread ones.
        f"--threads={1 if worker_class == 'sync' else threads}",
        f"--worker-class={worker_class}",
        "--timeout=60",
        "--graceful-timeout=10",
        "--keep-alive=5",
        "--log-level=warning",
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_ready(process, port=port, log_path=log_path)
            yield
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def _wait_until_ready(process: subprocess.Popen[bytes], *, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"gunicorn exited with code {process.returncode}; see {log_path}.")
        client = Client(port)
        try:
            client.get("/accounts/login/")
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
            continue
        finally:
            client.close()
        return
    raise CommandError(f"gunicorn did not answer within {STARTUP_TIMEOUT:.0f} s; see {log_path}.")


# --- the database -----------------------------------------------------------------------------------------


def _ensure_database() -> str:
    """Create the configured PostgreSQL database if it does not exist; returns its name."""
    db = settings.DATABASES["default"]
    name = str(db["NAME"])
    conn = psycopg2.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        connect_timeout=10,
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                return name + " (created)"
    finally:
        conn.close()
    return name


def _bench_user() -> tuple[str, str]:
    """The support agent the benchmark logs in as: a fresh password each run, and its API token key."""
    group = Group.objects.get(name=AGENTS_GROUP)
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(
        username=BENCH_USERNAME, defaults={"first_name": "Bench", "last_name": "Agent", "is_staff": True}
    )
    password = secrets.token_urlsafe(16)
    user.set_password(password)
    user.save(update_fields=["password"])
    user.groups.add(group)
    token, _ = Token.objects.get_or_create(user=user)
    return password, str(token.key)


def _bench_manager() -> str:
    """The manager the report workloads log in as: a fresh password each run."""
    user, _ = get_user_model().objects.get_or_create(
        username=BENCH_MANAGER, defaults={"first_name": "Bench", "last_name": "Manager", "is_staff": True}
    )
    password = secrets.token_urlsafe(16)
    user.set_password(password)
    user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=MANAGERS_GROUP))
    return password


def _reference_sample(count: int) -> list[str]:
    """Up to ``count`` references of existing complaints, chosen at random without a full-table sort."""
    bounds = Complaint.objects.aggregate(low=Min("id"), high=Max("id"))
    low, high = bounds["low"], bounds["high"]
    if low is None or high is None:
        return []
    rng = random.Random()  # noqa: S311 - sample data
    ids = {rng.randint(low, high) for _ in range(count * 2)}
    return list(Complaint.objects.filter(id__in=ids).values_list("reference", flat=True)[:count])


# --- output -----------------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _queries(result: WorkloadResult) -> str:
    if not result.queries:
        return "-"
    low, high = min(result.queries), max(result.queries)
    return str(low) if low == high else f"{low}-{high}"


def _cells(result: WorkloadResult) -> list[str]:
    if result.skipped:
        return [result.title, *("-" * (len(HEADERS) - 1))]
    return [
        result.title,
        f"{result.requests:,}",
        f"{len(result.errors):,}",
        f"{result.throughput:,.1f}",
        _ms(result.percentile_ms(50)),
        _ms(result.percentile_ms(99)),
        _ms(result.server_percentile_ms(50)),
        _ms(result.server_percentile_ms(99)),
        _queries(result),
        f"{result.load:.2f}",
    ]


HEADERS = [
    "workload",
    "requests",
    "errors",
    "req/s",
    "p50 ms",
    "p99 ms",
    "server p50 ms",
    "server p99 ms",
    "queries",
    "load",
]


def format_table(results: list[WorkloadResult]) -> str:
    rows = [HEADERS, *(_cells(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        lines.append("  ".join(cells))
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_markdown(results: list[WorkloadResult]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|---" + "|---:" * (len(HEADERS) - 1) + "|"]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in results]
    return "\n".join(lines)


def benchmark_run(
    *,
    complaints: int,
    requests: int,
    concurrency: int,
    workers: int,
    threads: int,
    batch: int,
    keep_data: bool,
    out: Callable[[str], None],
    only: tuple[str, ...] = (),
    worker_class: str = "gthread",
    background_sizes: "BackgroundSizes | None" = None,
) -> None:
    """Top the database up to ``complaints``, start gunicorn, time every workload (or those ``only`` names)
    and print the tables."""
    if connection.vendor != "postgresql":
        raise CommandError(
            "The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://.../amends_bench (make bench does)."
        )
    name = str(settings.DATABASES["default"]["NAME"])
    if "bench" not in name:
        raise CommandError(f'Refusing to benchmark the database "{name}": its name must contain "bench".')
    for option, value in (
        ("complaints", complaints),
        ("requests", requests),
        ("concurrency", concurrency),
        ("workers", workers),
        ("threads", threads),
    ):
        if value < 1:
            raise CommandError(f"--{option} must be at least 1.")
    known = [workload.key for workload in Bench.workload_list()] + list(BACKGROUND_WORKLOADS)
    unknown = sorted(set(only) - set(known))
    if unknown:
        raise CommandError(f"Unknown workloads: {', '.join(unknown)} (choose from {', '.join(known)}).")

    started = time.monotonic()
    out(f"Database: {_ensure_database()}")
    call_command("migrate", interactive=False, verbosity=0)
    wanted = int(complaints)
    have = Complaint.objects.count()
    seed_seconds = 0.0
    if have < wanted:
        out(f"The database holds {have:,} complaints; adding {wanted - have:,}.")
        seed_seconds = bench_seed(complaints=wanted - have, batch=batch, log=out).seconds
    else:
        out(f"The database already holds {have:,} complaints; no seeding needed.")
    complaints = Complaint.objects.count()
    password, token = _bench_user()
    manager_password = _bench_manager()
    references = _reference_sample(REFERENCE_SAMPLE)
    if not references:
        raise CommandError("No complaints to read: seeding failed?")
    targets = queue_targets()

    bench_dir = Path(settings.VAR_DIR) / "bench"
    for folder in (bench_dir / "broker" / "queue", bench_dir / "broker" / "processed", bench_dir / "mail"):
        folder.mkdir(parents=True, exist_ok=True)
    env = _server_env(bench_dir)
    out("Collecting static files...")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity=0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        timeout=300,
    )
    connection.close()  # the server has its own connections; ours would sit idle

    port = _free_port()
    log_path = bench_dir / "gunicorn.log"
    run_id = time.strftime("%y%m%d%H%M%S") + secrets.token_hex(2)
    bench = Bench(
        port=port,
        password=password,
        token=token,
        references=references,
        run_id=run_id,
        targets=targets,
        manager_password=manager_password,
    )
    requests, concurrency = int(requests), int(concurrency)
    shape = f"{workers} sync workers" if worker_class == "sync" else f"{workers} workers x {threads} threads"
    out(f"Starting gunicorn on {HOST}:{port} ({shape}); log: {log_path}")
    results: list[WorkloadResult] = []
    background = BackgroundResults()
    background_counts = background_sizes or BackgroundSizes()
    load_before = os.getloadavg()[0]
    try:
        with _gunicorn(
            port=port, env=env, log_path=log_path, workers=workers, threads=threads, worker_class=worker_class
        ):
            for workload in bench.workloads():
                if only and workload.key not in only:
                    continue
                count = min(requests, workload.requests or requests)
                threads_used = workload.concurrency or concurrency
                out(f"{workload.title}: warming up, then {count:,} requests from {threads_used} threads...")
                _run_workload(workload, port=port, requests=threads_used * 2, concurrency=threads_used)
                result = _run_workload(workload, port=port, requests=count, concurrency=threads_used)
                if result.errors and all("no ?after= link" in e for e in result.errors):
                    result.skipped = "the queue page shows no ?after= link (fewer than one page of open complaints?)"
                elif result.errors and all(f"fewer than {DEEP_PAGE:,} pages" in e for e in result.errors):
                    result.skipped = f"the queue has fewer than {DEEP_PAGE:,} pages of open complaints"
                results.append(result)
                for error in result.errors[:ERRORS_SHOWN]:
                    out(f"  error: {error}")
            background = _background_run(
                env=env, bench_dir=bench_dir, port=port, bench=bench, only=only, counts=background_counts, out=out
            )
        if not only or "sweep" in only:
            out(f"Promise sweep: {background_counts.due:,} due among every complaint made open...")
            background.sweep = delivery.sweep_at_scale(due=background_counts.due, runs=3, log=out)
    finally:
        load_after = os.getloadavg()[0]
        if not keep_data:
            _remove_submissions(bench.email_prefix, out)

    out("")
    out(f"Complaints in the database: {complaints:,} (before the submissions of workload (a))")
    if seed_seconds:
        out(f"Seeding took {seed_seconds:,.1f} s.")
    out(
        f"Server: gunicorn, {shape}; client: {concurrency} "
        f"threads on the same machine ({os.cpu_count()} CPUs); {requests:,} timed requests per workload, but the"
        f" reports: {REPORT_REQUESTS} (r, q: last 30 and 90 days) and {REPORT_YEAR_REQUESTS} (y, last 365 days) from"
        " one thread."
    )
    out(f"Load average (1 min) when the measurements started: {load_before:.2f}; when they ended: {load_after:.2f}.")
    out("(a) counts complete submissions per second (form GET + POST); its latencies are of the POST alone.")
    out(
        "p50/p99: client latency; server p50/p99: the app's own time from its Server-Timing header; queries: SQL"
        " queries per request (lowest-highest); load: 1-minute load average when the workload started."
    )
    out(f"(b3) opens {targets.filtered}; (b4) opens {targets.deep or '(no such page)'}; (b5) searches {SEARCHES}.")
    out("")
    out(format_table(results))
    for result in results:
        if result.skipped:
            out(f"{result.title}: skipped, {result.skipped}.")
    out("")
    out(format_markdown(results))
    out("")
    for line in background.report():
        out(line)
    out("")
    out(f"Total time: {time.monotonic() - started:,.1f} s.")


def _remove_submissions(prefix: str, out: Callable[[str], None]) -> None:
    deleted = Complaint.objects.filter(customer__email__startswith=prefix).delete()[1].get("complaints.Complaint", 0)
    Customer.objects.filter(email__startswith=prefix).delete()
    out(f"Removed the {deleted:,} complaints submitted during the benchmark (--keep-data keeps them).")


# --- the background side: letters, acknowledgements, the promise sweep -----------------------------------------

# --only keys of the background workloads (see complaints.benchmarks.delivery).
BACKGROUND_WORKLOADS = {
    "letters": "letters per second of one worker to a local SMTP sink",
    "ack": "submission to acknowledgement in the sink",
    "sweep": "the promise sweep with every complaint open",
}


@dataclass(frozen=True)
class BackgroundSizes:
    letters: int = 2000
    acknowledgements: int = 200
    ack_interval: float = 0.25
    due: int = 1000
    worker_concurrency: int = 2


@dataclass
class BackgroundResults:
    throughput: delivery.ThroughputResult | None = None
    latency: delivery.LatencyResult | None = None
    sweep: delivery.SweepResult | None = None
    health: Any = None
    worker_shape: str = ""

    def report(self) -> list[str]:
        lines: list[str] = []
        if self.throughput is not None:
            t = self.throughput
            lines += [
                f"Letters: one worker ({self.worker_shape}) to a local SMTP sink",
                "| measure | letters/s |",
                "|---|---:|",
                f"| worker, {t.letters:,} letters handed over in {t.hand_over_seconds:,.2f} s, {t.sent:,} marked sent"
                f" | {t.per_second:,.1f} |",
                f"| the sink's raw rate, a new connection per message | {t.raw_new_connection:,.1f} |",
                f"| the sink's raw rate, one connection | {t.raw_one_connection:,.1f} |",
                "",
            ]
        if self.latency is not None:
            lat = self.latency
            p50, p99 = lat.percentile_ms(50), lat.percentile_ms(99)
            lines += [
                f"Submission (API POST) to acknowledgement in the sink, {lat.submitted:,} complaints, worker running:"
                f" p50 {_ms(p50)} ms, p99 {_ms(p99)} ms, missing {lat.missing}",
                "",
            ]
        if self.health is not None:
            check = self.health
            lines += [
                f"Promise check for today (/dashboard/health/): {check.received:,} complaints received,"
                f" {check.unacknowledged:,} without an acknowledgement, {check.breaches:,} promises broken,"
                f" {check.escalated:,} of them escalated; the invariant {'holds' if check.holds else 'is BROKEN'}"
                + (f" (offenders: {', '.join(check.offenders[:10])})" if check.offenders else ""),
                "",
            ]
        if self.sweep is not None:
            sw = self.sweep
            lines += [
                f"Promise sweep: {sw.open_complaints:,} open complaints, {sw.due:,} due"
                f" (prepared in {sw.prepare_seconds:,.1f} s, rolled back afterwards)",
                "| sweep | runs | median ms | each run ms | alerts found |",
                "|---|---:|---:|---|---:|",
            ]
            for label, values, found in (
                ("minute's sweep, reading only", sw.minute_read_seconds, sw.handed_minute),
                ("minute's sweep, alerts handed to the broker", sw.minute_seconds, sw.handed_minute),
                ("full pass, reading only", sw.full_read_seconds, sw.handed_full),
                ("full pass, alerts handed to the broker", sw.full_seconds, sw.handed_full),
            ):
                each = ", ".join(f"{value * 1000:,.0f}" for value in values)
                lines.append(f"| {label} | {len(values)} | {delivery.median_ms(values)} | {each} | {found:,} |")
        return lines


def _background_run(
    *,
    env: dict[str, str],
    bench_dir: Path,
    port: int,
    bench: "Bench",
    only: tuple[str, ...],
    counts: BackgroundSizes,
    out: Callable[[str], None],
) -> BackgroundResults:
    """With gunicorn still up: a local SMTP sink and one real worker; letters per second, then acknowledgements."""
    shape = "solo pool" if counts.worker_concurrency == 1 else f"prefork, {counts.worker_concurrency} processes"
    results = BackgroundResults(worker_shape=shape)
    wanted = [key for key in ("letters", "ack") if not only or key in only]
    if not wanted:
        return results
    smtp_port = _free_port()
    out(f"Background: SMTP sink on {HOST}:{smtp_port}, one worker ({shape}).")
    with (
        delivery.timed_sink(smtp_port) as sink,
        delivery.celery_worker(
            env=env, smtp_port=smtp_port, log_path=bench_dir / "worker.log", concurrency=counts.worker_concurrency
        ),
    ):
        drained, seconds = delivery.outbox_drain(timeout=300)
        out(f"  the letters of the HTTP workloads went out first: {drained:,} in {seconds:,.1f} s")
        if "letters" in wanted:
            out(f"Letters: {counts.letters:,} letters through one worker...")
            results.throughput = delivery.letter_throughput(sink=sink, port=smtp_port, count=counts.letters, log=out)
        if "ack" in wanted:
            out(f"Acknowledgements: {counts.acknowledgements:,} submissions, one every {counts.ack_interval:.2f} s...")
            client = Client(port)

            def post_json(path: str, payload: dict[str, Any]) -> int:
                body = json.dumps(payload).encode()
                return client.request("POST", path, body=body, headers={"Content-Type": "application/json"}).status

            try:
                results.latency = delivery.acknowledgement_latency(
                    sink=sink,
                    post_json=post_json,
                    count=counts.acknowledgements,
                    interval=counts.ack_interval,
                    prefix=bench.email_prefix,
                )
            finally:
                client.close()
        delivery.outbox_drain(timeout=120)
        results.health = delivery.health_check_today()
    return results
