"""Delivery channels: one small class each, with one ``send`` method. SMS or a webhook is one more class."""

import smtplib
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from notifications.models import Letter


class ChannelError(Exception):
    """Delivery failed. ``permanent`` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    def send(self, letter: Letter) -> None: ...


class EmailChannel:
    """Sends a letter through Django's configured email backend, with its stable Message-ID."""

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
            connection=get_connection(fail_silently=False),
        )
        if letter.body_html:
            message.attach_alternative(letter.body_html, "text/html")
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"recipient refused: {exc.recipients}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            # 5xx answers are final; 4xx are "try again later".
            permanent = 500 <= exc.smtp_code < 600
            raise ChannelError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=permanent) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"{type(exc).__name__}: {exc}", permanent=False) from exc


def channel_for(letter: Letter) -> Channel:
    return EmailChannel()
