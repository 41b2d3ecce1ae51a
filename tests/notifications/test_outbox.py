"""The letter outbox: queueing, sending at most once, retries, permanent failures and the sweeper."""

import smtplib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from kombu.exceptions import OperationalError

from complaints.models import Complaint, ComplaintEvent
from notifications import services
from notifications.models import Letter, LetterStatus
from notifications.services import (
    MAX_ATTEMPTS,
    SENDING_TIMEOUT,
    SendOutcome,
    letter_dispatch,
    letter_queue,
    letter_send,
    letters_redispatch_stale,
)
from tests.factories import submit_complaint

HERE = "tests.notifications.test_outbox"


# --- email backends standing in for an SMTP server we do not own -------------------------------------------


class DisconnectingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RefusingRecipientBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPRecipientsRefused({"alice@example.com": (550, b"5.1.1 No such user")})


class MailboxUnavailableBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPResponseException(550, b"5.7.1 Mailbox unavailable")


class GreylistingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPResponseException(451, b"4.7.1 Greylisted, try again later")


class WorkerKilled(BaseException):
    """The worker process dies mid-send (SIGKILL, OOM): nothing after this line runs."""


class DyingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise WorkerKilled


def _acknowledgement(**overrides: Any) -> tuple[Complaint, Letter]:
    """A submitted complaint and its queued acknowledgement (not yet handed to a worker)."""
    complaint = submit_complaint(**overrides)
    return complaint, Letter.objects.get(complaint=complaint, kind="acknowledgement")


# --- queueing ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queueing_twice_with_the_same_key_writes_one_letter() -> None:
    complaint, _ = _acknowledgement()
    context = {"complaint": complaint, "customer": complaint.customer, "message": "Hello", "tracking_url": "x"}

    first = letter_queue(
        complaint=complaint,
        kind="reply",
        recipient="alice@example.com",
        language="en",
        idempotency_key="reply:test:1",
        context=context,
    )
    second = letter_queue(
        complaint=complaint,
        kind="reply",
        recipient="alice@example.com",
        language="en",
        idempotency_key="reply:test:1",
        context={**context, "message": "Something else"},
    )

    assert second.pk == first.pk
    assert Letter.objects.filter(idempotency_key="reply:test:1").count() == 1
    assert "Hello" in Letter.objects.get(pk=first.pk).body_text


@pytest.mark.django_db
def test_a_letter_is_sent_once(django_capture_on_commit_callbacks: Any) -> None:
    _complaint, letter = _acknowledgement()

    assert letter_send(letter_id=letter.pk).outcome is SendOutcome.SENT
    assert letter_send(letter_id=letter.pk).outcome is SendOutcome.SKIPPED

    assert len(mail.outbox) == 1
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT
    assert letter.attempts == 1
    assert letter.sent_at is not None
    email = mail.outbox[0]
    assert email.to == ["alice@example.com"]
    assert email.subject == letter.subject
    assert email.body == letter.body_text


@pytest.mark.django_db
def test_many_letters_go_to_the_workers_in_chunks_and_each_is_sent_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    complaint, _ = _acknowledgement()
    context = {"complaint": complaint, "customer": complaint.customer, "message": "Hello", "tracking_url": "x"}
    with django_capture_on_commit_callbacks(execute=True) as dispatched:
        letters = [
            letter_queue(
                complaint=complaint,
                kind="reply",
                recipient=f"many{i}@example.com",
                language="en",
                idempotency_key=f"reply:many:{i}",
                context=context,
                dispatch=False,
            )
            for i in range(services.LETTER_CHUNK * 2 + 7)
        ]
    assert dispatched == [], "nothing handed over letter by letter"
    mail.outbox.clear()
    ids = [letter.pk for letter in letters]

    chunks = services.letters_dispatch(letter_ids=ids)  # eager here: each chunk runs at once
    again = services.letters_dispatch(letter_ids=ids[:10])  # a chunk handed over twice

    assert (chunks, again) == (3, 1)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"many{i}@example.com" for i in range(len(ids)))
    assert set(Letter.objects.filter(pk__in=ids).values_list("status", flat=True)) == {LetterStatus.SENT}


def test_a_broker_outage_leaves_chunked_letters_to_the_sweeper(monkeypatch: pytest.MonkeyPatch) -> None:
    from notifications.tasks import letters_send_task

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Redis is down")

    monkeypatch.setattr(letters_send_task, "apply_async", refuse)
    assert services.letters_dispatch(letter_ids=[1, 2, 3]) == 0


@pytest.mark.django_db
def test_the_message_id_header_is_the_letter_s() -> None:
    _, letter = _acknowledgement()

    letter_send(letter_id=letter.pk)

    assert letter.message_id.startswith("<")
    assert letter.message_id.endswith(">")
    assert mail.outbox[0].message()["Message-ID"] == letter.message_id
    assert mail.outbox[0].message()["Auto-Submitted"] == "auto-generated"


@pytest.mark.django_db
def test_a_delivered_acknowledgement_marks_the_complaint_acknowledged() -> None:
    complaint, letter = _acknowledgement()
    assert complaint.acknowledged_at is None

    letter_send(letter_id=letter.pk)

    complaint.refresh_from_db()
    letter.refresh_from_db()
    assert complaint.acknowledged_at == letter.sent_at
    event = complaint.events.get(kind=ComplaintEvent.Kind.LETTER_SENT)
    assert event.data == {"letter_id": letter.pk, "letter_kind": "acknowledgement", "recipient": "alice@example.com"}
    assert not event.is_public


@pytest.mark.django_db
def test_letters_go_out_after_commit_through_the_worker(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        complaint, letter = _acknowledgement()

    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT
    assert [m.subject for m in mail.outbox] == [letter.subject]
    assert complaint.reference in letter.subject


# --- failures ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["DisconnectingBackend", "GreylistingBackend"])
def test_a_transient_failure_puts_the_letter_back_for_later(settings: Any, backend: str) -> None:
    complaint, letter = _acknowledgement()
    settings.EMAIL_BACKEND = f"{HERE}.{backend}"
    before = timezone.now()

    result = letter_send(letter_id=letter.pk)

    assert result.outcome is SendOutcome.RETRY
    assert result.retry_in > 0
    letter.refresh_from_db()
    assert letter.status == LetterStatus.QUEUED
    assert letter.attempts == 1
    assert letter.last_error
    assert letter.next_attempt_at > before + timedelta(seconds=10)
    # Not due yet: a duplicate task does nothing.
    assert letter_send(letter_id=letter.pk).outcome is SendOutcome.SKIPPED
    assert not complaint.events.filter(kind=ComplaintEvent.Kind.LETTER_FAILED).exists()


@pytest.mark.django_db
def test_a_transient_failure_then_success_sends_one_email(settings: Any) -> None:
    _, letter = _acknowledgement()
    settings.EMAIL_BACKEND = f"{HERE}.DisconnectingBackend"
    letter_send(letter_id=letter.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert letter_send(letter_id=letter.pk).outcome is SendOutcome.SENT

    letter.refresh_from_db()
    assert (letter.status, letter.attempts, letter.last_error) == (LetterStatus.SENT, 2, "")
    assert len(mail.outbox) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("backend", "error"),
    [("RefusingRecipientBackend", "recipient refused"), ("MailboxUnavailableBackend", "SMTP 550")],
)
def test_a_permanent_failure_fails_the_letter_and_tells_staff(settings: Any, backend: str, error: str) -> None:
    complaint, letter = _acknowledgement()
    settings.EMAIL_BACKEND = f"{HERE}.{backend}"

    assert letter_send(letter_id=letter.pk).outcome is SendOutcome.FAILED

    letter.refresh_from_db()
    assert letter.status == LetterStatus.FAILED
    assert letter.attempts == 1
    assert error in letter.last_error
    event = complaint.events.get(kind=ComplaintEvent.Kind.LETTER_FAILED)
    assert event.data["letter_id"] == letter.pk
    assert error in event.data["error"]
    complaint.refresh_from_db()
    assert complaint.acknowledged_at is None
    assert letter_send(letter_id=letter.pk).outcome is SendOutcome.SKIPPED


@pytest.mark.django_db
def test_a_letter_fails_for_good_when_attempts_run_out(settings: Any) -> None:
    complaint, letter = _acknowledgement()
    settings.EMAIL_BACKEND = f"{HERE}.DisconnectingBackend"
    start = timezone.now()

    outcomes = []
    for hour in range(MAX_ATTEMPTS):
        with time_machine.travel(start + timedelta(hours=2 * hour), tick=False):
            outcomes.append(letter_send(letter_id=letter.pk).outcome)

    assert outcomes == [SendOutcome.RETRY] * (MAX_ATTEMPTS - 1) + [SendOutcome.FAILED]
    letter.refresh_from_db()
    assert letter.status == LetterStatus.FAILED
    assert letter.attempts == MAX_ATTEMPTS
    assert "SMTPServerDisconnected" in letter.last_error
    assert complaint.events.filter(kind=ComplaintEvent.Kind.LETTER_FAILED).count() == 1


# --- the sweeper ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweeper_sends_a_letter_left_queued_and_leaves_fresh_ones_alone() -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _, stale = _acknowledgement(email="old@example.com")
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        _, fresh = _acknowledgement(email="new@example.com")

        assert letters_redispatch_stale() == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == LetterStatus.SENT
    assert fresh.status == LetterStatus.QUEUED
    assert [m.to for m in mail.outbox] == [["old@example.com"]]


@pytest.mark.django_db
def test_the_sweeper_leaves_a_letter_waiting_for_its_retry_alone(settings: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _, letter = _acknowledgement()
        settings.EMAIL_BACKEND = f"{HERE}.DisconnectingBackend"
        letter_send(letter_id=letter.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    letter.refresh_from_db()

    with time_machine.travel(start + timedelta(seconds=5), tick=False):
        assert letters_redispatch_stale() == 0
    with time_machine.travel(letter.next_attempt_at + timedelta(minutes=2), tick=False):
        assert letters_redispatch_stale() == 1

    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_sweeper_rescues_a_letter_whose_worker_died_mid_send(settings: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _, letter = _acknowledgement()
        settings.EMAIL_BACKEND = f"{HERE}.DyingBackend"
        with pytest.raises(WorkerKilled):
            letter_send(letter_id=letter.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENDING

    # Within the timeout another worker may still be sending it: hands off.
    with time_machine.travel(start + SENDING_TIMEOUT - timedelta(minutes=1), tick=False):
        assert letters_redispatch_stale() == 0
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENDING
    assert mail.outbox == []

    with time_machine.travel(start + SENDING_TIMEOUT + timedelta(minutes=1), tick=False):
        assert letters_redispatch_stale() == 1

    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT
    assert letter.attempts == 2
    assert len(mail.outbox) == 1


# --- the broker is an edge: its outage must not lose letters ----------------------------------------------


@pytest.mark.django_db
def test_a_broker_outage_leaves_the_letter_queued(monkeypatch: pytest.MonkeyPatch) -> None:
    _, letter = _acknowledgement()

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("notifications.tasks.letter_send_task.apply_async", broker_down)

    assert letter_dispatch(letter_id=letter.pk) is False

    letter.refresh_from_db()
    assert letter.status == LetterStatus.QUEUED
    assert letter.attempts == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_sweeper_stops_at_a_broker_outage_and_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        letters = [_acknowledgement(email=f"c{i}@example.com")[1] for i in range(3)]
    calls: list[Any] = []

    def broker_down(*args: Any, **kwargs: Any) -> None:
        calls.append(args)
        raise OperationalError("Connection refused.")

    monkeypatch.setattr("notifications.tasks.letter_send_task.apply_async", broker_down)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        letters_redispatch_stale()

    assert len(calls) == 1
    assert {letter.status for letter in Letter.objects.filter(pk__in=[x.pk for x in letters])} == {"queued"}


# --- language and plain text ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ru"])
def test_letters_are_written_in_the_customer_s_language_as_plain_text(language: str) -> None:
    complaint, letter = _acknowledgement(name="Seán O'Brien", language=language)

    assert complaint.language == language
    assert letter.language == language
    assert "O'Brien" in letter.body_text
    for entity in ("&#x27;", "&#39;", "&amp;", "&quot;"):
        assert entity not in letter.body_text
        assert entity not in letter.subject
    # The HTML alternative is escaped, as HTML must be.
    assert "O&#x27;Brien" in letter.body_html

    letter_send(letter_id=letter.pk)
    assert "O'Brien" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_russian_customer_s_replies_are_in_russian(agent_bob: Any) -> None:
    from complaints.services import complaint_reply

    complaint = submit_complaint(language="ru")

    complaint_reply(complaint=complaint, author=agent_bob, body="Мы уже разбираемся.")

    reply = complaint.letters.get(kind="reply")
    assert reply.language == "ru"
    assert "Мы уже разбираемся." in reply.body_text


def test_backoff_grows_and_is_capped() -> None:
    delays = [services._backoff_seconds(n) for n in range(1, 12)]

    assert delays[0] == pytest.approx(services.BACKOFF_BASE_SECONDS, rel=0.21)
    assert delays[3] > delays[0] * 4
    assert max(delays) <= services.BACKOFF_MAX_SECONDS * 1.2
