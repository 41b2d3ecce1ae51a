"""Letters survive broken parts: Redis stopped, a worker killed mid-send, an SMTP server down or refusing,
and two workers racing for the same letters. Every part is real (redis-server, ``celery worker`` processes,
an aiosmtpd sink); every process a test starts is stopped at its end, pass or fail.

Each test writes to addresses of its own, so a late message from another test cannot be miscounted.
"""

import collections
import logging
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.models import Complaint, ComplaintEvent
from notifications import services
from notifications.models import Letter, LetterKind, LetterStatus
from notifications.services import letter_dispatch, letters_redispatch_stale
from notifications.tasks import letters_redispatch_stale as letters_redispatch_stale_task
from tests.factories import agent, submit_complaint
from tests.integration.conftest import BROKER_REDIS_DB, CeleryWorker, SmtpSink
from tests.integration.faults import (
    ScriptedSmtpSink,
    kill_worker,
    new_key_prefix,
    producer_on,
    redis_server,
    scripted_sink,
    start_worker,
    workers_cleanup,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# How long "still exactly once" is watched for after the last expected delivery.
QUIET_PERIOD = 1.5
FORM_URL = "/complaints/new/"
API_URL = "/api/v1/complaints/"
FORM: dict[str, str] = {
    "name": "Alice Example",
    "category": "defect",
    "description": "The kettle stopped working after two days.",
    "consent": "on",
}
API_SUBMISSION: dict[str, str] = {
    "name": "Carl Example",
    "category": "delivery",
    "description": "The parcel arrived two weeks late and crushed.",
}
SENT_TASK = r"letter_send_task\[[^\]]+\] succeeded in \S+: 'sent'"
SKIPPED_TASK = r"letter_send_task\[[^\]]+\] succeeded in \S+: 'skipped'"


def _run() -> str:
    return uuid.uuid4().hex[:10]


def _acknowledgement(complaint: Complaint) -> Letter:
    return Letter.objects.get(complaint=complaint, kind=LetterKind.ACKNOWLEDGEMENT)


def _wait_for_letter(letter: Letter, *, timeout: float = 20.0, **expected: object) -> Letter:
    """Poll the row (a worker writes it from another process) until its fields match ``expected``."""
    deadline = time.monotonic() + timeout
    while True:
        letter.refresh_from_db()
        if all(getattr(letter, field) == value for field, value in expected.items()):
            return letter
        if time.monotonic() > deadline:
            current = {field: getattr(letter, field) for field in expected}
            raise AssertionError(
                f"letter {letter.pk} is {current}, expected {expected}; last_error={letter.last_error!r}"
            )
        time.sleep(0.1)


def _make_due(*letters: Letter) -> None:
    """Skip the wait: the letters were due two minutes ago, so the sweeper (which leaves a letter one minute
    to its own task) takes them now."""
    Letter.objects.filter(pk__in=[letter.pk for letter in letters]).update(
        next_attempt_at=timezone.now() - timedelta(minutes=2)
    )


def _count(worker: CeleryWorker, pattern: str) -> int:
    return len(re.findall(pattern, worker.log()))


def _sent_events(complaint: Complaint) -> int:
    return ComplaintEvent.objects.filter(complaint=complaint, kind=ComplaintEvent.Kind.LETTER_SENT).count()


def _shared_broker_url() -> str:
    """The Redis database the session's worker uses; a test's own key prefix keeps its tasks apart there."""
    redis_url = settings.REDIS_URL or "redis://127.0.0.1:6379/14"
    return re.sub(r"/\d*$", "", redis_url.rstrip("/")) + f"/{BROKER_REDIS_DB}"


def _form_token(client: Client) -> str:
    found = re.search(r'name="submission_token" value="([^"]+)"', client.get(FORM_URL).content.decode())
    assert found, "the form carries a one-time submission token"
    return found.group(1)


# --- 1. Redis stopped ---------------------------------------------------------------------------------------


@pytest.mark.timeout(90)
def test_complaints_taken_while_redis_is_stopped_are_acknowledged_once_when_it_is_back(
    client: Client, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from config import celery_app

    run = _run()
    form_address, api_address = f"form-{run}@example.com", f"api-{run}@example.com"
    prefix = new_key_prefix()
    with (
        redis_server(tmp_path) as broker,
        scripted_sink() as sink,
        workers_cleanup() as workers,
        producer_on(broker.url, prefix),
    ):
        # A worker is running on this Redis, and the web process has been talking to it (a pooled connection),
        # when Redis goes away.
        worker = start_worker(
            broker_url=broker.url,
            key_prefix=prefix,
            smtp_port=sink.port,
            log_path=tmp_path / "worker.log",
            name="rel-redis",
        )
        workers.append(worker)
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1)
        token = _form_token(client)
        broker.kill()

        with caplog.at_level(logging.WARNING, logger="notifications.services"):
            started = time.monotonic()
            form_response = client.post(FORM_URL, {**FORM, "email": form_address, "submission_token": token})
            api_response = APIClient().post(API_URL, {**API_SUBMISSION, "email": api_address}, format="json")
            elapsed = time.monotonic() - started

        assert form_response.status_code == 302, form_response.content.decode()[:2000]
        assert api_response.status_code == 201, api_response.content
        assert elapsed < 6, f"two submissions waited {elapsed:.1f}s for a stopped Redis"
        assert caplog.text.count("broker unavailable, left for the sweeper") == 2
        by_form = Complaint.objects.get(customer__email=form_address)
        by_api = Complaint.objects.get(reference=api_response.json()["reference"])
        assert (by_form.channel, by_api.channel) == ("web", "api")
        letters = [_acknowledgement(by_form), _acknowledgement(by_api)]
        assert [(letter.status, letter.attempts) for letter in letters] == [(LetterStatus.QUEUED, 0)] * 2
        assert [letter.recipient for letter in letters] == [form_address, api_address]

        # Redis comes back on the same port, empty (nothing was saved); the worker, still running, reconnects.
        worker.wait_for_log(r"Connection to broker lost")
        broker.start()
        worker.wait_for_log(rf"Connected to redis://\S*127\.0\.0\.1:{broker.port}/0", count=2, timeout=40)
        assert worker.process.poll() is None
        assert sink.messages() == [], "nothing can have been sent while the letters sat in the outbox"

        # A minute later the beat hands the sweep to a worker, which hands both letters over again.
        _make_due(*letters)
        letters_redispatch_stale_task.delay()
        worker.wait_for_log(r"letters_redispatch_stale\[[^\]]+\] succeeded in \S+: 2")
        received = sink.wait_for(2, timeout=30)
        for letter in letters:
            _wait_for_letter(letter, status=LetterStatus.SENT, attempts=1)
        time.sleep(QUIET_PERIOD)

        received = sink.messages()
        assert sorted(str(m["Message-ID"]) for m in received) == sorted(letter.message_id for letter in letters)
        assert sorted(str(m["To"]) for m in received) == sorted([form_address, api_address])
        assert _count(worker, SENT_TASK) == 2
        for complaint in (by_form, by_api):
            assert _sent_events(complaint) == 1
            complaint.refresh_from_db()
            assert complaint.acknowledged_at is not None


# --- 2. A worker killed in the middle of sending ------------------------------------------------------------


@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    ("server_kept_it", "interrupted_copies"),
    [
        pytest.param(False, 1, id="killed-before-the-server-accepted"),
        pytest.param(True, 2, id="killed-after-the-server-accepted"),
    ],
)
def test_a_worker_killed_mid_send_loses_no_letter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server_kept_it: bool, interrupted_copies: int
) -> None:
    """No letter is lost, and none but the interrupted one can arrive twice.

    Delivery is at least once: if the worker dies after the SMTP server has taken the letter but before the
    server's "250" is recorded, nothing tells the letter apart from one the server never got, so it is sent
    again with the same Message-ID (the receiving side can drop the copy). If the server had not accepted it
    yet, the letter arrives exactly once.
    """
    run = _run()
    tag = f"killed-{run}-"
    prefix = new_key_prefix()
    broker_url = _shared_broker_url()
    with scripted_sink() as sink, workers_cleanup() as workers, producer_on(broker_url, prefix):
        sink.delay = 3.0  # a slow server: the first letter is still being sent when its worker dies
        sink.keep_before_answer = server_kept_it
        doomed = start_worker(
            broker_url=broker_url,
            key_prefix=prefix,
            smtp_port=sink.port,
            log_path=tmp_path / "doomed.log",
            name="rel-doomed",
        )
        workers.append(doomed)
        with transaction.atomic():
            complaints = [submit_complaint(email=f"{tag}{i}@example.com") for i in range(3)]
        letters = [_acknowledgement(complaint) for complaint in complaints]

        sink.wait_for_data(1)
        [interrupted] = [
            letter for letter in letters if Letter.objects.get(pk=letter.pk).status == LetterStatus.SENDING
        ]
        kill_worker(doomed)
        sink.delay = 0.0
        others = [letter for letter in letters if letter.pk != interrupted.pk]

        # Its claim outlives it: no other worker may take a letter that is "sending".
        interrupted.refresh_from_db()
        assert (interrupted.status, interrupted.attempts) == (LetterStatus.SENDING, 1)

        survivor = start_worker(
            broker_url=broker_url,
            key_prefix=prefix,
            smtp_port=sink.port,
            log_path=tmp_path / "survivor.log",
            name="rel-survivor",
        )
        workers.append(survivor)
        # The letters still waiting in Redis go out with the new worker, once each.
        for letter in others:
            _wait_for_letter(letter, status=LetterStatus.SENT, attempts=1)
        interrupted.refresh_from_db()
        assert interrupted.status == LetterStatus.SENDING

        # A young claim is left alone: its worker may still be sending.
        monkeypatch.setattr(services, "REDISPATCH_AFTER", timedelta(0))
        assert letters_redispatch_stale() == 0
        # The sweeper reclaims a "sending" letter once its claim is older than the sending timeout (ten
        # minutes in production; one second here).
        monkeypatch.setattr(services, "SENDING_TIMEOUT", timedelta(seconds=1))
        assert interrupted.sending_started_at is not None
        while timezone.now() <= interrupted.sending_started_at + timedelta(seconds=1.2):
            time.sleep(0.1)
        assert letters_redispatch_stale() == 1
        interrupted = _wait_for_letter(interrupted, status=LetterStatus.SENT, attempts=2)
        assert interrupted.last_error == ""
        assert letters_redispatch_stale() == 0
        time.sleep(QUIET_PERIOD)
        sink.wait_until_idle()  # the slow answer to the dead worker is over too

        by_id = collections.Counter(sink.message_ids(to=tag))
        # Every letter arrived, each other letter exactly once...
        assert set(by_id) == {letter.message_id for letter in letters}
        assert [by_id[letter.message_id] for letter in others] == [1, 1]
        # ...and the interrupted one once, or (the server had it already) twice under its one Message-ID.
        assert by_id[interrupted.message_id] == interrupted_copies
        assert _count(survivor, SENT_TASK) == 3
        for complaint in complaints:
            assert _sent_events(complaint) == 1


# --- 3. SMTP down, 4xx, 5xx ----------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_letters_are_retried_while_smtp_is_down_and_delivered_once_when_it_is_back(
    celery_worker_process: CeleryWorker, smtp_sink: SmtpSink
) -> None:
    address = f"down-{_run()}@example.com"
    smtp_sink.stop()
    complaint = submit_complaint(email=address)
    letter = _wait_for_letter(_acknowledgement(complaint), status=LetterStatus.QUEUED, attempts=1)
    assert letter.last_error.startswith("ConnectionRefusedError"), letter.last_error
    assert letter.next_attempt_at > timezone.now()

    # Still down at the next attempt: the letter waits longer (exponential backoff: about 60 s after 30 s).
    _make_due(letter)
    assert letters_redispatch_stale() == 1
    letter = _wait_for_letter(letter, status=LetterStatus.QUEUED, attempts=2)
    assert letter.last_error.startswith("ConnectionRefusedError"), letter.last_error
    assert letter.next_attempt_at > timezone.now() + timedelta(seconds=40)
    assert letter.sent_at is None

    smtp_sink.start()
    _make_due(letter)
    assert letters_redispatch_stale() == 1
    [message] = smtp_sink.wait_for(1, to=address)
    assert message["Message-ID"] == letter.message_id
    letter = _wait_for_letter(letter, status=LetterStatus.SENT, attempts=3)
    assert letter.last_error == ""
    time.sleep(QUIET_PERIOD)
    assert len(smtp_sink.messages(to=address)) == 1
    assert _sent_events(complaint) == 1


@pytest.mark.timeout(60)
def test_a_4xx_answer_is_retried_then_delivered_once(
    celery_worker_process: CeleryWorker, scripted_smtp_sink: ScriptedSmtpSink
) -> None:
    sink = scripted_smtp_sink
    address = f"busy-{_run()}@example.com"
    sink.replies.extend(["451 4.3.0 Mailbox busy, try again later", "421 4.7.0 Too many connections"])
    complaint = submit_complaint(email=address)
    letter = _wait_for_letter(_acknowledgement(complaint), status=LetterStatus.QUEUED, attempts=1)
    assert letter.last_error.startswith("SMTP 451"), letter.last_error
    assert letter.next_attempt_at > timezone.now()

    _make_due(letter)
    assert letters_redispatch_stale() == 1
    letter = _wait_for_letter(letter, status=LetterStatus.QUEUED, attempts=2)
    assert letter.last_error.startswith("SMTP 421"), letter.last_error
    assert letter.next_attempt_at > timezone.now()

    _make_due(letter)
    assert letters_redispatch_stale() == 1
    [message] = sink.wait_for(1, to=address)
    assert message["Message-ID"] == letter.message_id
    letter = _wait_for_letter(letter, status=LetterStatus.SENT, attempts=3)
    assert letter.last_error == ""
    assert sink.rejected == [letter.message_id] * 2
    time.sleep(QUIET_PERIOD)
    assert len(sink.messages(to=address)) == 1
    assert _sent_events(complaint) == 1


@pytest.mark.timeout(60)
def test_a_5xx_answer_fails_the_letter_visibly_and_staff_can_send_it_again(
    celery_worker_process: CeleryWorker,
    scripted_smtp_sink: ScriptedSmtpSink,
    admin_client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    sink = scripted_smtp_sink
    address = f"refused-{_run()}@example.com"
    sink.replies.append("550 5.7.1 Relaying denied for this sender")
    complaint = submit_complaint(email=address)
    letter = _wait_for_letter(_acknowledgement(complaint), status=LetterStatus.FAILED, attempts=1)
    assert letter.last_error.startswith("SMTP 550"), letter.last_error
    assert "Relaying denied for this sender" in letter.last_error
    assert letter.sent_at is None
    [failed] = ComplaintEvent.objects.filter(complaint=complaint, kind=ComplaintEvent.Kind.LETTER_FAILED)
    assert failed.data["letter_id"] == letter.pk
    assert "Relaying denied for this sender" in failed.data["error"]
    # A failed letter is final: the sweeper leaves it alone.
    _make_due(letter)
    assert letters_redispatch_stale() == 0

    # The agent sees it on the complaint's page: failed, with the server's answer.
    bob = Client()
    bob.force_login(agent("bob-rel"))
    with django_assert_max_num_queries(20):
        page = bob.get(f"/dashboard/complaints/{complaint.reference}/")
    assert page.status_code == 200
    html = page.content.decode()
    letters_list = re.search(r'<ul class="letters" data-testid="letters">(.*?)</ul>', html, re.S)
    assert letters_list, "the complaint page lists its letters"
    assert '<span class="letter-status failed">Failed</span>' in letters_list.group(1)
    assert "Relaying denied for this sender" in letters_list.group(1)

    # Staff send it again (the letters admin's action); this time the server takes it.
    response = admin_client.post(
        "/admin/notifications/letter/", {"action": "resend", "_selected_action": [str(letter.pk)]}
    )
    assert response.status_code == 302
    [message] = sink.wait_for(1, to=address)
    assert message["Message-ID"] == letter.message_id
    letter = _wait_for_letter(letter, status=LetterStatus.SENT, attempts=1)
    assert letter.last_error == ""
    time.sleep(QUIET_PERIOD)
    assert len(sink.messages(to=address)) == 1
    assert sink.rejected == [letter.message_id]
    assert _sent_events(complaint) == 1
    html = bob.get(f"/dashboard/complaints/{complaint.reference}/").content.decode()
    assert '<span class="letter-status sent">Sent</span>' in html


# --- 4. Two workers at once -----------------------------------------------------------------------------------


@pytest.mark.timeout(90)
def test_two_workers_and_a_double_dispatch_send_each_letter_once(
    celery_worker_process: CeleryWorker, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    tag = f"race-{_run()}-"
    first = celery_worker_process
    with workers_cleanup() as workers:
        second = start_worker(
            broker_url=first.broker_url,
            key_prefix=first.key_prefix,
            smtp_port=smtp_sink.port,
            log_path=tmp_path / "second.log",
            name="rel-second",
        )
        workers.append(second)
        before = {"sent": _count(first, SENT_TASK), "skipped": _count(first, SKIPPED_TASK)}

        with transaction.atomic():
            complaints = [submit_complaint(email=f"{tag}{i:02}@example.com") for i in range(30)]
        letters = [_acknowledgement(complaint) for complaint in complaints]
        # The sweeper (or a retried publish) hands every letter over twice more while the first task is out.
        for _ in range(2):
            for letter in letters:
                assert letter_dispatch(letter_id=letter.pk) is True

        smtp_sink.wait_for(30, to=tag, timeout=40)
        deadline = time.monotonic() + 40
        while True:
            sent = _count(first, SENT_TASK) - before["sent"] + _count(second, SENT_TASK)
            skipped = _count(first, SKIPPED_TASK) - before["skipped"] + _count(second, SKIPPED_TASK)
            if sent + skipped >= 90:
                break
            assert time.monotonic() < deadline, f"the workers ran {sent + skipped} of 90 tasks"
            time.sleep(0.2)
        time.sleep(QUIET_PERIOD)

        message_ids = [str(m["Message-ID"]) for m in smtp_sink.messages(to=tag)]
        assert len(message_ids) == 30
        assert set(message_ids) == {letter.message_id for letter in letters}
        assert sent == 30
        # Both workers took part.
        assert _count(second, SENT_TASK) + _count(second, SKIPPED_TASK) > 0
        assert sent + skipped - _count(second, SENT_TASK) - _count(second, SKIPPED_TASK) > 0
        assert set(Letter.objects.filter(pk__in=[x.pk for x in letters]).values_list("status", "attempts")) == {
            (LetterStatus.SENT, 1)
        }
        assert (
            ComplaintEvent.objects.filter(complaint__in=complaints, kind=ComplaintEvent.Kind.LETTER_SENT).count() == 30
        )
