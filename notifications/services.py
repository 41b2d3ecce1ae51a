"""Writing letters to the outbox and sending them. Every function here is safe to call twice."""

import enum
import functools
import logging
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template import Context, Engine
from django.template.backends.django import get_installed_libraries
from django.template.loader import render_to_string
from django.utils import timezone, translation

from complaints import events
from complaints.models import Complaint
from notifications.channels import ChannelError, channel_for
from notifications.letter_templates import active_letter_template, render_letter_template
from notifications.models import Heartbeat, Letter, LetterKind, LetterStatus

logger = logging.getLogger(__name__)

# A transient failure is retried with exponential backoff (and jitter) up to this many attempts in all.
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
# A letter "sending" for longer than this belonged to a worker that died mid-send.
SENDING_TIMEOUT = timedelta(minutes=10)
# A queued letter this late is handed to the broker again.
REDISPATCH_AFTER = timedelta(minutes=1)
# Heartbeat names: the letter sweeper's, and each worker's ("worker:<hostname>").
LETTER_SWEEPER_HEARTBEAT = "letter_sweeper"
WORKER_HEARTBEAT_PREFIX = "worker:"
# "Resend all failed" puts back at most this many letters per press.
RESEND_ALL_LIMIT = 500


@functools.cache
def _text_engine() -> Engine:
    """Plain-text letters are not HTML: render them with autoescaping off (an apostrophe stays an apostrophe)."""
    options = settings.TEMPLATES[0]
    return Engine(
        dirs=[str(d) for d in options["DIRS"]],
        app_dirs=True,
        autoescape=False,
        libraries=dict(get_installed_libraries()),
    )


def letter_render(*, kind: str, language: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a letter, in ``language``.

    An active ``LetterTemplate`` edited in the admin for (kind, language) wins; otherwise, or if it cannot be
    rendered, the files in ``templates/notifications/letters`` are used, so a letter is never lost.
    """
    edited = active_letter_template(kind=str(kind), language=language)
    if edited is not None:
        try:
            return render_letter_template(edited, context=context, language=language)
        except Exception:  # validated when saved; should it break anyway, the built-in letter still goes out
            logger.warning("letter template %s failed to render; using the built-in one", edited.pk, exc_info=True)
    base = f"notifications/letters/{kind}"
    context = {**context, "LANGUAGE_CODE": language}
    with translation.override(language):
        text_engine = _text_engine()
        subject = text_engine.get_template(f"{base}.subject.txt").render(Context(context, autoescape=False))
        text = text_engine.get_template(f"{base}.txt").render(Context(context, autoescape=False)).strip() + "\n"
        html = render_to_string(f"{base}.html", context)
    return " ".join(subject.split()), text, html


def letter_queue(
    *,
    kind: LetterKind | str,
    recipient: str,
    language: str,
    idempotency_key: str,
    context: dict[str, Any],
    complaint: Complaint | None = None,
    dispatch: bool = True,
) -> Letter:
    """Write a letter to the outbox within the caller's transaction; a worker sends it after commit.

    The same ``idempotency_key`` always yields the same single letter. A caller writing many letters at once passes
    ``dispatch=False`` and hands them over in chunks with ``letters_dispatch`` (on commit); should it not, the
    sweeper sends them a minute later.
    """
    existing = Letter.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    subject, text, html = letter_render(kind=kind, language=language, context=context)
    letter = Letter.objects.create(
        complaint=complaint,
        recipient=recipient,
        kind=kind,
        language=language,
        subject=subject,
        body_text=text,
        body_html=html,
        idempotency_key=idempotency_key,
        message_id=f"<{uuid.uuid4().hex}@{settings.LETTER_MESSAGE_ID_DOMAIN}>",
    )
    if dispatch:
        letter_id = letter.pk
        transaction.on_commit(lambda: letter_dispatch(letter_id=letter_id))
    return letter


def letter_dispatch(*, letter_id: int, countdown: float = 0) -> bool:
    """Hand a letter to the broker. A broker outage is logged, not raised: the sweeper tries again."""
    from notifications.tasks import letter_send_task

    try:
        letter_send_task.apply_async((letter_id,), countdown=countdown)
    except Exception:  # the broker is down or unreachable; the outbox row stays queued
        logger.warning("letter %s: broker unavailable, left for the sweeper", letter_id, exc_info=True)
        return False
    return True


# Letters per broker message when many are handed over at once (an outage's apologies): one task sends them one
# after another over the worker's kept SMTP connection, each claimed on its own as ``letter_send`` does.
LETTER_CHUNK = 50


def letters_dispatch(*, letter_ids: Sequence[int]) -> int:
    """Hand many letters to the broker, ``LETTER_CHUNK`` to a task; returns how many chunks went. A broker outage
    is logged, not raised: the sweeper sends what is still queued."""
    from notifications.tasks import letters_send_task

    return dispatch_in_chunks(letter_ids, task=letters_send_task, size=LETTER_CHUNK, what="letters")


def dispatch_in_chunks(ids: Sequence[int], *, task: Any, size: int, what: str) -> int:
    """Hand ``ids`` to the broker, ``size`` to a ``task`` message; returns how many messages went. A broker outage
    is logged, not raised: the rows stay in their outbox for its sweeper. Letters and webhooks share it."""
    ids = list(ids)
    sent = 0
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        try:
            task.apply_async((chunk,))
        except Exception:
            logger.warning("%s %s: broker unavailable, left for the sweeper", len(chunk), what, exc_info=True)
            continue
        sent += 1
    return sent


class SendOutcome(enum.Enum):
    SENT = "sent"
    SKIPPED = "skipped"  # already sent, being sent, failed for good, or not due yet
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    retry_in: float = 0.0


def _backoff_seconds(attempts: int) -> float:
    delay = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return float(delay) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


def letter_send(*, letter_id: int) -> SendResult:
    """Send one queued letter, at most once.

    The row is claimed first (compare-and-set ``queued`` → ``sending``), so a second worker or a duplicate
    task finds nothing to do. A transient failure puts it back to ``queued`` with a later
    ``next_attempt_at``; a permanent one (or too many attempts) marks it ``failed`` with the error.
    """
    now = timezone.now()
    claimed = Letter.objects.filter(pk=letter_id, status=LetterStatus.QUEUED, next_attempt_at__lte=now).update(
        status=LetterStatus.SENDING, sending_started_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return SendResult(SendOutcome.SKIPPED)
    letter = Letter.objects.get(pk=letter_id)
    try:
        channel_for(letter).send(letter)
    except ChannelError as exc:
        return _letter_record_failure(letter=letter, error=str(exc), permanent=exc.permanent)

    sent_at = timezone.now()
    with transaction.atomic():
        Letter.objects.filter(pk=letter.pk).update(status=LetterStatus.SENT, sent_at=sent_at, last_error="")
        if letter.complaint_id is not None:
            events.letter_delivered(
                complaint_id=letter.complaint_id,
                letter_id=letter.pk,
                kind=letter.kind,
                recipient=letter.recipient,
                sent_at=sent_at,
            )
    return SendResult(SendOutcome.SENT)


def send_each(
    ids: Sequence[int], *, send: Callable[[int], SendResult], retry_later: Callable[[int, float], object]
) -> dict[str, int]:
    """Send a chunk one after another with ``send`` (which claims each on its own); one to retry goes back to the
    broker alone with ``retry_later(id, delay)``. Returns the count per outcome. Letters and webhooks share it."""
    counts: dict[str, int] = {}
    for item_id in ids:
        result = send(item_id)
        if result.outcome is SendOutcome.RETRY:
            retry_later(item_id, result.retry_in)
        counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
    return counts


def letters_send(*, letter_ids: Sequence[int]) -> dict[str, int]:
    """Send a chunk of letters one after another, each claimed on its own (``letter_send``), so a chunk handed
    over twice, or one of its letters also handed over alone, still sends each once; a letter to retry goes back
    to the broker alone, after its backoff. Returns the count per outcome."""
    return send_each(
        letter_ids,
        send=lambda letter_id: letter_send(letter_id=letter_id),
        retry_later=lambda letter_id, delay: letter_dispatch(letter_id=letter_id, countdown=delay),
    )


def _letter_record_failure(*, letter: Letter, error: str, permanent: bool) -> SendResult:
    if permanent or letter.attempts >= MAX_ATTEMPTS:
        with transaction.atomic():
            Letter.objects.filter(pk=letter.pk).update(status=LetterStatus.FAILED, last_error=error[:2000])
            if letter.complaint_id is not None:
                events.letter_failed(
                    complaint_id=letter.complaint_id, letter_id=letter.pk, kind=letter.kind, error=error
                )
        logger.error("letter %s failed for good after %s attempts: %s", letter.pk, letter.attempts, error)
        return SendResult(SendOutcome.FAILED)
    delay = _backoff_seconds(letter.attempts)
    Letter.objects.filter(pk=letter.pk).update(
        status=LetterStatus.QUEUED,
        last_error=error[:2000],
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    logger.warning("letter %s attempt %s failed, retry in %.0fs: %s", letter.pk, letter.attempts, delay, error)
    return SendResult(SendOutcome.RETRY, retry_in=delay)


def letters_redispatch_stale(*, limit: int = 500) -> int:
    """Hand to the broker again the letters that should have gone out by now; returns how many.

    Covers a broker that was down when the letter was written, a lost task, and a worker that died while
    sending (its claim expires after ``SENDING_TIMEOUT``).
    """
    now = timezone.now()
    # A reclaimed letter is long overdue: date it from its lost attempt so this same sweep re-dispatches it.
    Letter.objects.filter(status=LetterStatus.SENDING, sending_started_at__lt=now - SENDING_TIMEOUT).update(
        status=LetterStatus.QUEUED, next_attempt_at=F("sending_started_at")
    )
    due_ids = list(
        Letter.objects.filter(status=LetterStatus.QUEUED, next_attempt_at__lte=now - REDISPATCH_AFTER)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for letter_id in due_ids:
        if not letter_dispatch(letter_id=letter_id):
            break
    # The operations page shows a sweeper that stopped running (beat down) within minutes.
    heartbeat_record(name=LETTER_SWEEPER_HEARTBEAT, details={"redispatched": len(due_ids)})
    return len(due_ids)


def letter_resend(*, letter_id: int) -> Letter:
    """Put a failed letter back in the queue (staff asked to try again)."""
    Letter.objects.filter(pk=letter_id, status=LetterStatus.FAILED).update(
        status=LetterStatus.QUEUED, next_attempt_at=timezone.now(), attempts=0
    )
    transaction.on_commit(lambda: letter_dispatch(letter_id=letter_id))
    return Letter.objects.get(pk=letter_id)


def letters_resend_failed(*, limit: int = RESEND_ALL_LIMIT) -> int:
    """Put the failed letters (newest first, at most ``limit``) back in the queue; returns how many.

    Each goes through ``letter_resend``; the workers get them after commit.
    """
    with transaction.atomic():
        failed_ids = list(
            Letter.objects.filter(status=LetterStatus.FAILED)
            .order_by("-created_at")
            .values_list("pk", flat=True)[:limit]
        )
        for letter_id in failed_ids:
            letter_resend(letter_id=letter_id)
    return len(failed_ids)


def heartbeat_record(*, name: str, details: dict[str, Any]) -> None:
    """Record that the background job ``name`` ran just now (one upsert; safe from several workers at once)."""
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, beat_at=timezone.now(), details=details)],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["beat_at", "details"],
    )
