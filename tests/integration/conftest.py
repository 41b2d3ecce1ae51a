"""Real edges for the integration tests: an SMTP sink, a Celery worker over Redis, and Debian's Chromium.

Everything here is per pytest process, so ``pytest -n 2`` works: each xdist worker gets its own SMTP port,
its own test database (pytest-django) and its own Redis key prefix for the broker.
"""

import contextlib
import email
import email.policy
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import kombu.pools
import pytest
from aiosmtpd.controller import Controller

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
# The test process's cache lives in Redis db 14 and is flushed before every test; the broker must not be there.
# Two checkouts testing side by side on one Redis give each its own broker database.
BROKER_REDIS_DB = int(os.environ.get("AMENDS_TEST_BROKER_DB", "15"))
WORKER_READY_TIMEOUT = 60.0
# The worker's WEBHOOK_RETRY_DELAYS (seconds): four quick retries.
WORKER_WEBHOOK_RETRY_DELAYS = "0.3,0.3,0.3,0.3"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SmtpSink:
    """An aiosmtpd server on a fixed port that keeps every message it receives, parsed.

    ``stop()`` and ``start()`` take it down and bring it back on the same port (an SMTP outage).
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self._messages: list[EmailMessage] = []
        self._changed = threading.Condition()
        self._controller: Controller | None = None

    # aiosmtpd calls this in its own thread for every accepted message.
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._changed:
            self._messages.append(message)
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            controller = Controller(self, hostname="127.0.0.1", port=self.port)
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        with self._changed:
            self._messages.clear()

    def messages(self, *, to: str | None = None) -> list[EmailMessage]:
        with self._changed:
            found = list(self._messages)
        if to is not None:
            found = [m for m in found if to.lower() in str(m["To"]).lower()]
        return found

    def wait_for(self, count: int, *, to: str | None = None, timeout: float = 30.0) -> list[EmailMessage]:
        """Block until at least ``count`` messages (to ``to``, if given) arrived; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = self.messages(to=to)
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    break
                self._changed.wait(timeout=min(remaining, 0.5))
        if len(found) < count:
            subjects = [m["Subject"] for m in self.messages()]
            raise AssertionError(f"expected {count} message(s) to {to or 'anyone'} within {timeout}s, got {subjects}")
        return found


@pytest.fixture(scope="session")
def smtp_sink_server() -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink(smtp_sink_server: SmtpSink) -> Iterator[SmtpSink]:
    """The session's SMTP sink, running and empty at the start of the test."""
    smtp_sink_server.start()
    smtp_sink_server.clear()
    yield smtp_sink_server
    smtp_sink_server.start()


class CeleryWorker:
    """A ``celery worker`` subprocess and the broker settings that reach it."""

    def __init__(self, *, process: subprocess.Popen[bytes], log_path: Path, broker_url: str, key_prefix: str) -> None:
        self.process = process
        self.log_path = log_path
        self.broker_url = broker_url
        self.key_prefix = key_prefix

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, pattern: str, *, count: int = 1, timeout: float = 30.0) -> list[str]:
        """Wait until ``pattern`` (a regex) matches at least ``count`` times in the worker's log."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            matches = regex.findall(self.log())
            if len(matches) >= count:
                return matches
            if self.process.poll() is not None:
                raise AssertionError(f"the Celery worker exited ({self.process.returncode}):\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{pattern!r} x{count} not in the worker log after {timeout}s:\n{self.log()[-4000:]}"
                )
            time.sleep(0.1)

    def transport_options(self) -> dict[str, Any]:
        from django.conf import settings

        return {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": self.key_prefix}

    @contextlib.contextmanager
    def producer_broker(self, broker_url: str) -> Iterator[None]:
        """Point the test process's Celery producer at ``broker_url`` for a while (e.g. a closed port)."""
        from config import celery_app

        _use_broker(celery_app, broker_url=broker_url, transport_options=self.transport_options())
        try:
            yield
        finally:
            _use_broker(celery_app, broker_url=self.broker_url, transport_options=self.transport_options())


def _reset_producer_pools(app: Any) -> None:
    """Close and forget the connection and producer pools, so the next publish connects with the current conf.

    kombu keeps its pools in process-wide registries keyed by URL: closing one without clearing them would
    hand the closed pool back the next time the same broker is used.
    """
    kombu.pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


def _use_broker(app: Any, *, broker_url: str, transport_options: dict[str, Any]) -> None:
    _reset_producer_pools(app)
    app.conf.update(broker_url=broker_url, broker_transport_options=transport_options)


def _database_url(settings_dict: dict[str, Any]) -> str:
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(settings_dict['NAME'])}"


@pytest.fixture(scope="session")
def _celery_worker_session(
    django_db_setup: Any,
    smtp_sink_server: SmtpSink,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CeleryWorker]:
    """A real ``celery -A config worker`` on the test database, a private Redis key prefix and the SMTP sink,
    started once per session."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.fail("the worker shares the test database, which needs PostgreSQL (DATABASE_URL)")
    redis_url = settings.REDIS_URL or "redis://127.0.0.1:6379/14"
    broker_url = re.sub(r"/\d*$", "", redis_url.rstrip("/")) + f"/{BROKER_REDIS_DB}"
    key_prefix = f"amends-it-{uuid.uuid4().hex[:12]}:"
    worker_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": _database_url(connection.settings_dict),
        # Close the worker's connection after every task: nothing idles on the database pytest truncates and drops.
        "CONN_MAX_AGE": "0",
        "REDIS_URL": broker_url,
        "CELERY_BROKER_KEY_PREFIX": key_prefix,
        "TEST_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink_server.port}",
        "EMAIL_TIMEOUT": "5",
        "PYTHONUNBUFFERED": "1",
        # Webhook retries after a fraction of a second instead of minutes, so a retried delivery is seen in a test.
        "WEBHOOK_RETRY_DELAYS": WORKER_WEBHOOK_RETRY_DELAYS,
    }
    log_path = tmp_path_factory.mktemp("celery-worker") / "worker.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname=it-{key_prefix.strip(':')}@%h",
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=worker_env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole below
        )
    worker = CeleryWorker(process=process, log_path=log_path, broker_url=broker_url, key_prefix=key_prefix)
    try:
        worker.wait_for_log(r"@\S+ ready\.", timeout=WORKER_READY_TIMEOUT)
        yield worker
    finally:
        _stop_process_group(process)
        _delete_broker_keys(broker_url, key_prefix)


@pytest.fixture
def celery_worker_process(_celery_worker_session: CeleryWorker) -> Iterator[CeleryWorker]:
    """The session's real worker. For the test's duration this process's Celery app publishes to its broker
    instead of running tasks eagerly; afterwards eager mode (and locmem mail) is back for the other tests.
    Tests that rely on it need ``django_db(transaction=True)``: the worker only sees committed rows.
    """
    from config import celery_app

    worker = _celery_worker_session
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "broker_transport_options")}
    try:
        celery_app.conf.update(task_always_eager=False)
        _use_broker(celery_app, broker_url=worker.broker_url, transport_options=worker.transport_options())
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=3)
            assert conn.transport.driver_type == "redis", conn.as_uri()
        yield worker
    finally:
        _reset_producer_pools(celery_app)
        celery_app.conf.update(saved)


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _delete_broker_keys(broker_url: str, key_prefix: str) -> None:
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(broker_url, socket_connect_timeout=2)
        keys = list(client.scan_iter(match=f"{key_prefix}*", count=500))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded one; without the networking flags it tries to reach the internet."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--headless",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def scripted_smtp_sink(smtp_sink_server: SmtpSink) -> Iterator[Any]:
    """A ``ScriptedSmtpSink`` (slow or failing on demand) in place of the session's sink, on its port, so the
    session's worker sends to it; the plain sink is back afterwards."""
    from tests.integration.faults import ScriptedSmtpSink

    smtp_sink_server.stop()
    sink = ScriptedSmtpSink(smtp_sink_server.port)
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
        smtp_sink_server.start()
