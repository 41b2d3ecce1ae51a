"""Letters travel the real way: outbox row → commit → Redis → a Celery worker process → SMTP.

Each test writes to its own customer address, so a late message from another test cannot be miscounted.
"""

import logging
import re
import time
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent
from notifications.models import Letter, LetterKind, LetterStatus
from notifications.services import letter_dispatch, letters_redispatch_stale
from tests.factories import submit_complaint
from tests.integration.conftest import CeleryWorker, SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# How long "still exactly one" is watched for after the first delivery.
QUIET_PERIOD = 2.0
CLOSED_BROKER = "redis://127.0.0.1:1/0"


def _address() -> str:
    return f"alice-{uuid.uuid4().hex[:10]}@example.com"


def _acknowledgement(complaint: Complaint) -> Letter:
    return Letter.objects.get(complaint=complaint, kind=LetterKind.ACKNOWLEDGEMENT)


def _wait_for_letter(letter: Letter, *, timeout: float = 20.0, **expected: object) -> Letter:
    """Poll the row (the worker writes it from another process) until its fields match ``expected``."""
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


def _skipped_count(worker: CeleryWorker) -> int:
    """How many letter tasks the worker ran that found nothing to send."""
    return len(re.findall(r"letter_send_task\[[^\]]+\] succeeded in \S+: 'skipped'", worker.log()))


def test_acknowledgement_is_delivered_exactly_once_by_the_worker(
    celery_worker_process: CeleryWorker, smtp_sink: SmtpSink
) -> None:
    address = _address()
    with transaction.atomic():
        complaint = submit_complaint(email=address, name="Alice Example")
        # The outbox row is written in the submission's own transaction...
        letter = _acknowledgement(complaint)
        assert letter.status == LetterStatus.QUEUED
        assert letter.attempts == 0
        # ...and nothing is handed to the broker before the commit (the worker could not see the row).
        time.sleep(0.5)
        assert smtp_sink.messages(to=address) == []

    [message] = smtp_sink.wait_for(1, to=address)
    time.sleep(QUIET_PERIOD)
    assert len(smtp_sink.messages(to=address)) == 1

    assert message["To"] == address
    assert complaint.reference in message["Subject"]
    assert message["Message-ID"] == letter.message_id
    assert message.get_content_type() == "multipart/alternative"
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text_part is not None
    assert html_part is not None
    assert complaint.reference in text_part.get_content()
    assert complaint.reference in html_part.get_content()

    letter = _wait_for_letter(letter, status=LetterStatus.SENT)
    assert letter.sent_at is not None
    assert letter.attempts == 1
    complaint.refresh_from_db()
    assert complaint.acknowledged_at == letter.sent_at
    sent_events = ComplaintEvent.objects.filter(complaint=complaint, kind=ComplaintEvent.Kind.LETTER_SENT)
    assert [e.data["letter_id"] for e in sent_events] == [letter.pk]
    # It was the worker process, over Redis, that sent it.
    celery_worker_process.wait_for_log(
        r"Task notifications\.tasks\.letter_send_task\[[^\]]+\] succeeded in \S+: 'sent'"
    )

    # The sweeper finds nothing to do, and a duplicate task for the same letter is a no-op.
    assert letters_redispatch_stale() == 0
    skipped_before = _skipped_count(celery_worker_process)
    assert letter_dispatch(letter_id=letter.pk) is True
    deadline = time.monotonic() + 20
    while _skipped_count(celery_worker_process) <= skipped_before:
        assert time.monotonic() < deadline, "the worker never ran the duplicate task"
        time.sleep(0.1)
    time.sleep(QUIET_PERIOD)
    assert len(smtp_sink.messages(to=address)) == 1
    letter.refresh_from_db()
    assert letter.attempts == 1
    assert ComplaintEvent.objects.filter(complaint=complaint, kind=ComplaintEvent.Kind.LETTER_SENT).count() == 1


def test_nothing_is_lost_when_the_broker_is_down_at_submission(
    celery_worker_process: CeleryWorker, smtp_sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    address = _address()
    with celery_worker_process.producer_broker(CLOSED_BROKER), caplog.at_level(logging.WARNING):
        started = time.monotonic()
        complaint = submit_complaint(email=address)
        elapsed = time.monotonic() - started
    assert elapsed < 5, f"submission waited {elapsed:.1f}s for a dead broker"
    assert "broker unavailable, left for the sweeper" in caplog.text

    letter = _acknowledgement(complaint)
    assert (letter.status, letter.attempts) == (LetterStatus.QUEUED, 0)
    time.sleep(QUIET_PERIOD)
    assert smtp_sink.messages(to=address) == []

    # The broker is back; a minute later the sweeper (beat runs it every minute) hands the letter over again.
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=True):
        assert letters_redispatch_stale() == 1

    [message] = smtp_sink.wait_for(1, to=address)
    assert message["Message-ID"] == letter.message_id
    letter = _wait_for_letter(letter, status=LetterStatus.SENT)
    assert letter.attempts == 1
    time.sleep(QUIET_PERIOD)
    assert len(smtp_sink.messages(to=address)) == 1


def test_an_smtp_outage_is_retried_and_the_letter_delivered_once(
    celery_worker_process: CeleryWorker, smtp_sink: SmtpSink
) -> None:
    address = _address()
    smtp_sink.stop()
    complaint = submit_complaint(email=address)
    letter = _wait_for_letter(_acknowledgement(complaint), status=LetterStatus.QUEUED, attempts=1)
    assert letter.last_error.startswith("ConnectionRefusedError"), letter.last_error
    assert letter.next_attempt_at > timezone.now()
    assert letter.sent_at is None
    complaint.refresh_from_db()
    assert complaint.acknowledged_at is None

    smtp_sink.start()
    # Skip the backoff wait (30 s ± jitter): the retry is due now, and the sweeper has seen it late.
    Letter.objects.filter(pk=letter.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=2))
    assert letters_redispatch_stale() == 1

    [message] = smtp_sink.wait_for(1, to=address)
    assert message["Message-ID"] == letter.message_id
    letter = _wait_for_letter(letter, status=LetterStatus.SENT)
    assert letter.attempts == 2
    assert letter.last_error == ""
    time.sleep(QUIET_PERIOD)
    assert len(smtp_sink.messages(to=address)) == 1
    complaint.refresh_from_db()
    assert complaint.acknowledged_at == letter.sent_at
