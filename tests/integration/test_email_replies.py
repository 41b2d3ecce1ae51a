"""Replies by email through a real IMAP server: a customer answers our letter, a forger and an autoresponder
write too, and the poller sorts them out.
"""

from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from complaints.models import ComplaintEvent
from notifications.imap import inbound_mail_poll
from notifications.models import InboundMail, InboundMailStatus, LetterKind
from notifications.tasks import inbound_mail_poll_task
from tests.factories import UserFactory, submit_complaint
from tests.integration.mailserver import Dovecot, dovecot_available, dovecot_running

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def dovecot_server() -> Iterator[Dovecot]:
    problem = dovecot_available()
    if problem:
        pytest.fail(f"the IMAP server for this test cannot start: {problem}")
    with dovecot_running() as server:
        yield server


@pytest.fixture
def dovecot(dovecot_server: Dovecot, settings: Any) -> Dovecot:
    """The module's Dovecot with an empty mailbox, and ``IMAP_URL`` pointing at it."""
    with dovecot_server.client() as connection:
        _status, count = connection.select(dovecot_server.mailbox)
        if count and count[0] not in (b"0", None):
            connection.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
            connection.expunge()
    settings.IMAP_URL = dovecot_server.url
    return dovecot_server


def _staff_member() -> Any:
    """A support agent by permission: after an earlier transactional test's flush the groups may be gone."""
    user: Any = UserFactory(username="bob")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="complaints", codename="view_complaint"))
    return user


def _message(*, sender: str, subject: str, text: str, headers: dict[str, str]) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "care@amends.localhost"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mail.example.com")
    for name, value in headers.items():
        message[name] = value
    message.set_content(text)
    return message.as_bytes()


def test_replies_are_read_from_the_mailbox_and_sorted(dovecot: Dovecot, client: Client) -> None:
    complaint = submit_complaint(email="alice@example.com")
    acknowledgement = complaint.letters.get(kind=LetterKind.ACKNOWLEDGEMENT)
    assert acknowledgement.message_id

    dovecot.append(
        _message(
            sender="Alice Example <alice@example.com>",
            subject=f"Re: {acknowledgement.subject}",
            text=(
                "The kettle is model K-200, serial 12345.\n\n"
                "On Wed, 25 Nov 2026 at 14:00, Amends Customer Care <care@amends.localhost> wrote:\n"
                + "\n".join(f"> {line}" for line in acknowledgement.body_text.splitlines())
            ),
            headers={"In-Reply-To": acknowledgement.message_id, "References": acknowledgement.message_id},
        )
    )
    dovecot.append(
        _message(
            sender="mallory@evil.example",
            subject=f"Re: {complaint.reference}",
            text="Please close this complaint and send the refund to card 4000 0000.",
            headers={"In-Reply-To": "<made-up@amends.localhost>"},
        )
    )
    dovecot.append(
        _message(
            sender="alice@example.com",
            subject="Out of office",
            text="I am away until Monday.",
            headers={"In-Reply-To": acknowledgement.message_id, "Auto-Submitted": "auto-replied"},
        )
    )
    unread = dovecot.flags()
    assert len(unread) == 3
    assert not any("\\Seen" in line for line in unread), unread

    assert inbound_mail_poll() == 3

    # The customer's answer is on the timeline, without the letter it quotes.
    messages = complaint.events.filter(kind=ComplaintEvent.Kind.CUSTOMER_MESSAGE)
    assert [(event.body, event.data) for event in messages] == [
        ("The kettle is model K-200, serial 12345.", {"channel": "email"})
    ]
    # The forgery waits for staff; the autoresponder is set aside.
    assert sorted(InboundMail.objects.values_list("status", flat=True)) == [
        InboundMailStatus.IGNORED,
        InboundMailStatus.MATCHED,
        InboundMailStatus.UNMATCHED,
    ]
    assert InboundMail.objects.get(sender="mallory@evil.example").status == InboundMailStatus.UNMATCHED
    assert InboundMail.objects.get(subject="Out of office").status == InboundMailStatus.IGNORED
    client.force_login(_staff_member())
    page = client.get(reverse("notifications:inbound_list")).content.decode()
    assert "mallory@evil.example" in page
    assert "send the refund to card 4000 0000" in page
    # Every message is marked read, after it was recorded.
    flags = dovecot.flags()
    assert len(flags) == 3
    assert all("\\Seen" in line for line in flags), flags

    # The next run (through the Celery task) finds nothing new and changes nothing.
    assert inbound_mail_poll_task.apply().get() == 0
    assert InboundMail.objects.count() == 3
    assert messages.count() == 1


def test_a_message_seen_again_after_a_crash_is_not_added_twice(dovecot: Dovecot) -> None:
    """Between recording a message and flagging it \\Seen the poller may die; the next run must be harmless."""
    complaint = submit_complaint(email="alice@example.com")
    acknowledgement = complaint.letters.get(kind=LetterKind.ACKNOWLEDGEMENT)
    dovecot.append(
        _message(
            sender="alice@example.com",
            subject="Re: your letter",
            text="Still waiting.",
            headers={"In-Reply-To": acknowledgement.message_id},
        )
    )
    assert inbound_mail_poll() == 1
    with dovecot.client() as connection:  # as if the \Seen flag had never been stored
        connection.select(dovecot.mailbox)
        connection.store("1:*", "-FLAGS.SILENT", "(\\Seen)")

    assert inbound_mail_poll() == 1
    assert InboundMail.objects.count() == 1
    assert complaint.events.filter(kind=ComplaintEvent.Kind.CUSTOMER_MESSAGE).count() == 1
    assert all("\\Seen" in line for line in dovecot.flags())


def test_the_poll_task_does_nothing_without_imap_url(settings: Any) -> None:
    settings.IMAP_URL = ""
    assert inbound_mail_poll_task.apply().get() == 0
