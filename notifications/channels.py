"""Delivery channels: one small class each, with one ``send`` method. SMS or a webhook is one more class."""

import smtplib
import threading
from contextlib import suppress
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from notifications.models import Letter


class ChannelError(Exception):
    """Delivery failed. ``permanent`` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    def send(self, letter: Letter) -> None: ...


_kept = threading.local()


def _smtp_connection() -> BaseEmailBackend:
    """The email backend for the next letter. Django's SMTP backend is kept open between letters (one connection
    per worker thread, so a worker does not pay a TCP and SMTP handshake per letter) and checked with a NOOP
    before each reuse: servers close idle sessions and restart, and a letter must never be the thing that finds
    out. Other backends (files, console, the tests' memory) are made afresh."""
    backend: BaseEmailBackend | None = getattr(_kept, "backend", None)
    if backend is not None:
        try:
            alive = backend.connection is not None and backend.connection.noop()[0] == 250  # type: ignore[attr-defined]
        except (smtplib.SMTPException, OSError):
            alive = False
        if not alive:
            _smtp_drop()
            backend = None
    if backend is None:
        backend = get_connection(fail_silently=False)
        if not isinstance(backend, SmtpBackend):
            return backend
        backend.open()
        _kept.backend = backend
    return backend


def _smtp_drop() -> None:
    backend: BaseEmailBackend | None = getattr(_kept, "backend", None)
    _kept.backend = None
    if backend is not None:
        with suppress(Exception):
            backend.close()


class EmailChannel:
    """Sends a letter through Django's configured email backend, with its stable Message-ID. After any failure the
    kept connection is dropped, so the next letter (or this one's retry) starts a fresh SMTP session."""

    def send(self, letter: Letter) -> None:
        message = EmailMultiAlternatives(
            subject=letter.subject,
            body=letter.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[letter.recipient],
            # Auto-Submitted keeps out-of-office robots from answering our letters (RFC 3834).
            headers={"Message-ID": letter.message_id, "Auto-Submitted": "auto-generated"},
            # Customers' answers go to the mailbox the IMAP poller reads (notifications.imap).
            reply_to=[settings.REPLY_TO_EMAIL] if settings.REPLY_TO_EMAIL else None,
        )
        if letter.body_html:
            message.attach_alternative(letter.body_html, "text/html")
        try:
            message.connection = _smtp_connection()
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            _smtp_drop()
            raise ChannelError(f"recipient refused: {exc.recipients}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            _smtp_drop()
            # 5xx answers are final; 4xx are "try again later".
            permanent = 500 <= exc.smtp_code < 600
            raise ChannelError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=permanent) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            _smtp_drop()
            raise ChannelError(f"{type(exc).__name__}: {exc}", permanent=False) from exc


def channel_for(letter: Letter) -> Channel:
    return EmailChannel()
