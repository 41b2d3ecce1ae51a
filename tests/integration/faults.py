"""Parts that fail on purpose, for the reliability tests: a Redis server that can be stopped and started again,
an SMTP sink that answers slowly or with errors, and Celery workers that can be started (and killed) at will.
"""

import asyncio
import collections
import contextlib
import email
import email.policy
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis

from tests.integration.conftest import (
    PROJECT_DIR,
    WORKER_READY_TIMEOUT,
    CeleryWorker,
    SmtpSink,
    _database_url,
    _delete_broker_keys,
    _reset_producer_pools,
    _stop_process_group,
    _use_broker,
    free_port,
)


class ScriptedSmtpSink(SmtpSink):
    """An SMTP sink whose answers a test scripts: ``replies`` are answered (in order) to the next messages
    instead of accepting them, e.g. ``"451 4.3.0 Try again later"``; ``delay`` seconds pass between receiving a
    message's data and answering (a slow server, so a sender can be caught mid-send).

    A sender that hangs up during the delay cancels the message (aiosmtpd drops the session), unless
    ``keep_before_answer`` is set: then the message is kept before the delay, as a real server that had already
    queued it would deliver it although its "250" never reached the client.
    """

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.delay = 0.0
        self.keep_before_answer = False
        self.replies: collections.deque[str] = collections.deque()
        self.rejected: list[str] = []
        self.data_started = 0
        self.data_finished = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._changed:
            self.data_started += 1
            self._changed.notify_all()
        try:
            if self.replies:
                reply = self.replies.popleft()
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with self._changed:
                    self.rejected.append(str(message["Message-ID"]))
                return reply
            if self.keep_before_answer:
                reply = await super().handle_DATA(server, session, envelope)
                await asyncio.sleep(self.delay)
                return reply
            await asyncio.sleep(self.delay)
            return await super().handle_DATA(server, session, envelope)
        finally:
            with self._changed:
                self.data_finished += 1
                self._changed.notify_all()

    def wait_for_data(self, count: int, *, timeout: float = 20.0) -> None:
        """Block until ``count`` messages' data have started to arrive (accepted or not)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.data_started < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self.data_started} message(s) reached the sink in {timeout}s, not {count}")
                self._changed.wait(timeout=min(remaining, 0.5))

    def wait_until_idle(self, *, timeout: float = 20.0) -> None:
        """Block until every message whose data arrived has been answered (accepted or refused)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.data_finished < self.data_started:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"the sink is still busy with a message after {timeout}s")
                self._changed.wait(timeout=min(remaining, 0.5))

    def message_ids(self, *, to: str | None = None) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages(to=to)]


@contextlib.contextmanager
def scripted_sink() -> Iterator[ScriptedSmtpSink]:
    """A scripted sink of its own, on a free port, for workers started by the test."""
    sink = ScriptedSmtpSink(free_port())
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


class RedisServer:
    """A ``redis-server`` of the test's own, on a fixed port, that can be killed and started again there."""

    def __init__(self, port: int, log_dir: Path) -> None:
        self.port = port
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, timeout: float = 10.0) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        with (self.log_dir / f"redis-{self.port}.log").open("ab") as log_file:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(redis.RedisError):
                client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
                try:
                    if client.ping():
                        return
                finally:
                    client.close()
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"redis-server on port {self.port} did not start ({self.process.returncode})")
            time.sleep(0.05)

    def kill(self) -> None:
        """Stop it the hard way (SIGKILL): a crash, not a shutdown."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            _stop_process_group(self.process)


@contextlib.contextmanager
def redis_server(log_dir: Path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), log_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _celery_env(*, broker_url: str, key_prefix: str, **extra: str) -> dict[str, str]:
    """What a Celery process of a test needs: the test database (no idle connection pytest would have to wait
    for), the given broker and key prefix, no eager tasks."""
    from django.db import connection

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "CONN_MAX_AGE": "0",
        "REDIS_URL": broker_url,
        "CELERY_BROKER_KEY_PREFIX": key_prefix,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def _celery_process(command: list[str], *, env: dict[str, str], log_path: Path) -> "subprocess.Popen[bytes]":
    """Start ``command`` in its own process group, logging to ``log_path``."""
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def start_worker(
    *, broker_url: str, key_prefix: str, smtp_port: int, log_path: Path, name: str, wait: bool = True
) -> CeleryWorker:
    """A ``celery worker`` process (solo pool, its own process group) like the session's, on the given broker,
    key prefix and SMTP port. Stop it with ``stop_worker`` (or SIGKILL its group)."""
    env = _celery_env(
        broker_url=broker_url,
        key_prefix=key_prefix,
        TEST_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        EMAIL_TIMEOUT="5",
    )
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO"]
    command += [
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname={name}-{uuid.uuid4().hex[:8]}@%h",
    ]
    process = _celery_process(command, env=env, log_path=log_path)
    worker = CeleryWorker(process=process, log_path=log_path, broker_url=broker_url, key_prefix=key_prefix)
    if wait:
        try:
            worker.wait_for_log(r"@\S+ ready\.", timeout=WORKER_READY_TIMEOUT)
        except BaseException:
            stop_worker(worker)
            raise
    return worker


def start_beat(*, broker_url: str, key_prefix: str, log_path: Path, sweep_every: int = 2) -> CeleryWorker:
    """A ``celery beat`` process (its own process group, its own schedule file beside the log) publishing to the
    given broker and key prefix, with the promise sweep every ``sweep_every`` seconds. Stop it with
    ``stop_worker``."""
    env = _celery_env(broker_url=broker_url, key_prefix=key_prefix, SLA_SWEEP_EVERY_SECONDS=str(sweep_every))
    schedule = log_path.with_name(f"{log_path.stem}-schedule-{uuid.uuid4().hex[:8]}")
    command = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO", f"--schedule={schedule}"]
    process = _celery_process(command, env=env, log_path=log_path)
    beat = CeleryWorker(process=process, log_path=log_path, broker_url=broker_url, key_prefix=key_prefix)
    try:
        beat.wait_for_log(r"beat: Starting", timeout=WORKER_READY_TIMEOUT)
    except BaseException:
        stop_worker(beat)
        raise
    return beat


def stop_worker(worker: CeleryWorker) -> None:
    _stop_process_group(worker.process)


def kill_worker(worker: CeleryWorker) -> None:
    """SIGKILL the worker's whole process group: no warm shutdown, no acks, no cleanup."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait(timeout=10)


@contextlib.contextmanager
def workers_cleanup() -> Iterator[list[CeleryWorker]]:
    """Collects the workers a test starts and stops every one of them at the end, pass or fail."""
    started: list[CeleryWorker] = []
    try:
        yield started
    finally:
        for worker in started:
            stop_worker(worker)


@contextlib.contextmanager
def producer_on(broker_url: str, key_prefix: str) -> Iterator[None]:
    """This process's Celery app publishes to ``broker_url`` under ``key_prefix`` (not eagerly) for a while;
    afterwards the previous configuration is back and the broker keys under the prefix are deleted."""
    from django.conf import settings

    from config import celery_app

    keys = ("task_always_eager", "broker_url", "broker_transport_options")
    saved = {key: celery_app.conf[key] for key in keys}
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": key_prefix}
    try:
        celery_app.conf.update(task_always_eager=False)
        _use_broker(celery_app, broker_url=broker_url, transport_options=options)
        yield
    finally:
        _reset_producer_pools(celery_app)
        celery_app.conf.update(saved)
        _delete_broker_keys(broker_url, key_prefix)


def new_key_prefix() -> str:
    return f"amends-rel-{uuid.uuid4().hex[:12]}:"
