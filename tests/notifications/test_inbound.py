# ruff: noqa: RUF001 - the Russian reply samples are meant to be Cyrillic.
"""Replies by email without a mail server: parsing, quoted history, matching, ignoring, idempotency, the staff list."""

from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from django.core import mail as django_mail
from django.test import Client
from django.urls import reverse

from complaints.models import Attachment, Complaint, ComplaintEvent, Status
from complaints.services import complaint_transition
from complaints.transitions import Action
from notifications.imap import ImapConfig, imap_config_parse
from notifications.inbound import (
    REASON_NO_REFERENCE,
    REASON_UNKNOWN_REFERENCE,
    REASON_UNREADABLE,
    REASON_WRONG_SENDER,
    html_to_text,
    inbound_mail_process,
    mail_parse,
    reply_text_extract,
)
from notifications.models import InboundMail, InboundMailStatus, Letter, LetterKind
from tests.factories import closing_answers, submit_complaint

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32


def _mail(
    *,
    sender: str = "alice@example.com",
    subject: str = "Re: We have received your complaint",
    text: str | None = "Thank you, the serial number is 12345.",
    html: str | None = None,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = "",
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "care@amends.localhost"
    message["Subject"] = subject
    if message_id == "":
        message["Message-ID"] = make_msgid(domain="mail.example.com")
    elif message_id is not None:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    return message


def _acknowledgement(complaint: Complaint) -> Letter:
    return complaint.letters.get(kind=LetterKind.ACKNOWLEDGEMENT)


def _customer_messages(complaint: Complaint) -> list[ComplaintEvent]:
    return list(complaint.events.filter(kind=ComplaintEvent.Kind.CUSTOMER_MESSAGE).order_by("pk"))


# --- quoted history -----------------------------------------------------------------------------------------

EN_GMAIL = """Yes, it still does not work.

Alice

On Wed, 25 Nov 2026 at 14:00, Amends Customer Care <care@amends.localhost> wrote:
> We have received your complaint RC-2026-000001.
> Kind regards
"""

EN_GMAIL_WRAPPED = """Still broken.

On Wed, 25 Nov 2026 at 14:00, Amends Customer Care <care@amends.localhost>
wrote:

> We have received your complaint.
"""

EN_OUTLOOK = """Please call me tomorrow.

________________________________
From: Amends Customer Care <care@amends.localhost>
Sent: Wednesday, November 25, 2026 2:00 PM
To: alice@example.com
Subject: We have received your complaint

We have received your complaint.
"""

EN_OUTLOOK_NO_RULE = """See the photo.

From: Amends Customer Care <care@amends.localhost>
Sent: Wednesday, November 25, 2026 2:00 PM
Subject: We have received your complaint
"""

EN_ORIGINAL = """Thanks.
-----Original Message-----
From: care@amends.localhost
We have received your complaint.
"""

EN_INTERLEAVED_WITH_SIGNATURE = """> Could you tell us the serial number?
It is 12345.
> And the date of purchase?
The 1st of November.

--
Alice Example
+7 900 000-00-00
"""

RU_THUNDERBIRD = """Добрый день, чайник так и не работает.

25.11.2026 14:00, Amends Customer Care пишет:
> Мы получили вашу жалобу.
"""

RU_GMAIL = """Спасибо, жду ответа.

ср, 25 нояб. 2026 г. в 14:00, Amends Customer Care <care@amends.localhost>:
> Мы получили вашу жалобу.
"""

RU_YANDEX = """Прикладываю фото.

25.11.2026, 14:00, "Amends Customer Care" <care@amends.localhost>:
> Мы получили вашу жалобу.
"""

RU_MAILRU = """Номер заказа ORD-100001.


Среда, 25 ноября 2026, 14:00 +03:00 от Amends Customer Care <care@amends.localhost>:
>Мы получили вашу жалобу.
"""

RU_WROTE = """Всё ещё не работает.

Алиса написал(а):
> Мы получили вашу жалобу.
"""

RU_OUTLOOK = """Перезвоните мне, пожалуйста.

От: Amends Customer Care <care@amends.localhost>
Отправлено: 25 ноября 2026 г. 14:00
Кому: alice@example.com
Тема: Мы получили вашу жалобу
"""

RU_ORIGINAL = """Хорошо.

-------- Исходное сообщение --------
Мы получили вашу жалобу.
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (EN_GMAIL, "Yes, it still does not work.\n\nAlice"),
        (EN_GMAIL_WRAPPED, "Still broken."),
        (EN_OUTLOOK, "Please call me tomorrow."),
        (EN_OUTLOOK_NO_RULE, "See the photo."),
        (EN_ORIGINAL, "Thanks."),
        (EN_INTERLEAVED_WITH_SIGNATURE, "It is 12345.\nThe 1st of November."),
        (RU_THUNDERBIRD, "Добрый день, чайник так и не работает."),
        (RU_GMAIL, "Спасибо, жду ответа."),
        (RU_YANDEX, "Прикладываю фото."),
        (RU_MAILRU, "Номер заказа ORD-100001."),
        (RU_WROTE, "Всё ещё не работает."),
        (RU_OUTLOOK, "Перезвоните мне, пожалуйста."),
        (RU_ORIGINAL, "Хорошо."),
    ],
    ids=[
        "en-gmail",
        "en-gmail-wrapped",
        "en-outlook",
        "en-outlook-no-rule",
        "en-original-message",
        "en-interleaved-signature",
        "ru-thunderbird",
        "ru-gmail",
        "ru-yandex",
        "ru-mailru",
        "ru-wrote",
        "ru-outlook",
        "ru-original-message",
    ],
)
def test_reply_text_extract_keeps_only_the_customers_own_words(text: str, expected: str) -> None:
    assert reply_text_extract(text) == expected


def test_reply_text_extract_keeps_a_plain_message_whole() -> None:
    text = "From my side: the kettle is broken.\nDate: 1 November.\n\nRegards, Alice"
    assert reply_text_extract(text) == text


def test_html_to_text_drops_tags_scripts_and_quoted_blocks() -> None:
    html = (
        "<html><head><style>p {color: red}</style></head><body>"
        "<div>It still leaks&nbsp;water.</div><div><br></div><p>Alice &amp; Bob</p>"
        '<div class="gmail_quote">On Wed, Amends wrote:<blockquote>We have received your complaint.</blockquote></div>'
        "<script>alert(1)</script></body></html>"
    )
    text = html_to_text(html)
    assert "It still leaks water." in text
    assert "Alice & Bob" in text
    assert "We have received" not in text
    assert "alert" not in text
    assert "color" not in text
    assert reply_text_extract(text) == "It still leaks water.\n\nAlice & Bob"


def test_mail_parse_survives_odd_charsets_and_derives_a_stable_id() -> None:
    raw = (
        b"From: Alice <alice@example.com>\r\nSubject: =?utf-8?b?0J/RgNC40LLQtdGC?=\r\n"
        b"Content-Type: text/plain; charset=x-unknown\r\n\r\n\xd0\x9f\xd1\x80\xd0\xb8\xff\r\n"
    )
    first, second = mail_parse(raw), mail_parse(raw)
    assert first.message_id == second.message_id
    assert first.message_id.startswith("<sha256-")
    assert first.subject == "Привет"
    assert first.sender == "alice@example.com"
    assert first.text.startswith("При")
    assert "\ufffd" in first.text


# --- matching -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reply_to_our_letter_lands_on_the_complaints_timeline_without_its_quote() -> None:
    complaint = submit_complaint()
    letter = _acknowledgement(complaint)
    body = f"The serial number is 12345.\n\nOn Wed, Amends <care@amends.localhost> wrote:\n> {letter.body_text}"
    mail = inbound_mail_process(raw=_mail(text=body, in_reply_to=letter.message_id).as_bytes())

    assert mail.status == InboundMailStatus.MATCHED
    assert mail.complaint == complaint
    (event,) = _customer_messages(complaint)
    assert event.body == "The serial number is 12345."
    assert event.data == {"channel": "email"}
    assert event.by_customer


@pytest.mark.django_db
def test_a_header_match_wins_even_from_another_address() -> None:
    complaint = submit_complaint()
    letter = _acknowledgement(complaint)
    mail = inbound_mail_process(raw=_mail(sender="alice.work@corp.example", in_reply_to=letter.message_id).as_bytes())
    assert mail.status == InboundMailStatus.MATCHED
    assert len(_customer_messages(complaint)) == 1


@pytest.mark.django_db
def test_a_reference_in_the_subject_is_accepted_from_the_customers_address() -> None:
    complaint = submit_complaint()
    mail = inbound_mail_process(
        raw=_mail(sender="Alice <ALICE@Example.com>", subject=f"About {complaint.reference.lower()}").as_bytes()
    )
    assert mail.status == InboundMailStatus.MATCHED
    assert mail.complaint == complaint
    assert [e.body for e in _customer_messages(complaint)] == ["Thank you, the serial number is 12345."]


@pytest.mark.django_db
def test_a_reference_from_another_address_is_not_trusted() -> None:
    complaint = submit_complaint()
    mail = inbound_mail_process(raw=_mail(sender="mallory@evil.example", subject=complaint.reference).as_bytes())
    assert mail.status == InboundMailStatus.UNMATCHED
    assert mail.reason == REASON_WRONG_SENDER
    assert mail.complaint is None
    assert _customer_messages(complaint) == []


@pytest.mark.django_db
def test_unknown_and_forged_references_wait_on_the_staff_list(client: Client, agent_bob: object) -> None:
    complaint = submit_complaint()
    forged = inbound_mail_process(
        raw=_mail(
            sender="mallory@evil.example",
            subject=f"Re: {complaint.reference}",
            text="Close my complaint and refund to card 4000.",
            in_reply_to="<forged-123@amends.localhost>",
        ).as_bytes()
    )
    unknown = inbound_mail_process(raw=_mail(subject="Re: RC-2099-999999", text="Where is my refund?").as_bytes())
    nothing = inbound_mail_process(raw=_mail(subject="Hello", text="Just saying hi.").as_bytes())
    assert (forged.status, forged.reason) == (InboundMailStatus.UNMATCHED, REASON_WRONG_SENDER)
    assert (unknown.status, unknown.reason) == (InboundMailStatus.UNMATCHED, REASON_UNKNOWN_REFERENCE)
    assert (nothing.status, nothing.reason) == (InboundMailStatus.UNMATCHED, REASON_NO_REFERENCE)
    assert _customer_messages(complaint) == []

    client.force_login(agent_bob)  # type: ignore[arg-type]
    page = client.get(reverse("notifications:inbound_list")).content.decode()
    assert "mallory@evil.example" in page
    assert "Close my complaint and refund to card 4000." in page
    assert "sender is not the complaint&#x27;s customer" in page
    assert "Where is my refund?" in page
    assert page.index("Just saying hi.") < page.index("Where is my refund?") < page.index("mallory@evil.example")


@pytest.mark.django_db
def test_the_staff_list_is_for_staff_only(client: Client, outsider_dave: object) -> None:
    url = reverse("notifications:inbound_list")
    assert client.get(url).status_code == 302
    client.force_login(outsider_dave)  # type: ignore[arg-type]
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_the_staff_list_is_translated(client: Client, agent_bob: object) -> None:
    client.force_login(agent_bob)  # type: ignore[arg-type]
    page = client.get(reverse("notifications:inbound_list"), headers={"accept-language": "ru"})
    assert page.status_code == 200
    assert '<html lang="ru">' in page.content.decode()


# --- ignoring -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        ("alice@example.com", {"Auto-Submitted": "auto-replied"}),
        ("alice@example.com", {"X-Autoreply": "yes"}),
        ("alice@example.com", {"X-Autorespond": "Out of office"}),
        ("alice@example.com", {"Precedence": "bulk"}),
        ("alice@example.com", {"Precedence": "auto_reply"}),
        ("MAILER-DAEMON@mx.example.com", {}),
        ("Mail Delivery System <postmaster@mx.example.com>", {}),
        ("", {}),
    ],
    ids=[
        "auto-submitted",
        "x-autoreply",
        "x-autorespond",
        "bulk",
        "auto_reply",
        "mailer-daemon",
        "postmaster",
        "empty",
    ],
)
def test_auto_replies_and_bounces_are_ignored(sender: str, headers: dict[str, str]) -> None:
    complaint = submit_complaint()
    letter = _acknowledgement(complaint)
    mail = inbound_mail_process(
        raw=_mail(sender=sender, in_reply_to=letter.message_id, headers=headers, text="I am away").as_bytes()
    )
    assert mail.status == InboundMailStatus.IGNORED
    assert mail.reason
    assert _customer_messages(complaint) == []


@pytest.mark.django_db
def test_a_delivery_report_is_ignored() -> None:
    complaint = submit_complaint()
    in_reply_to = _acknowledgement(complaint).message_id
    raw = (
        "From: alice@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {make_msgid()}\r\nIn-Reply-To: {in_reply_to}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThe message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n--b--\r\n"
    ).encode()
    mail = inbound_mail_process(raw=raw)
    assert mail.status == InboundMailStatus.IGNORED
    assert _customer_messages(complaint) == []


@pytest.mark.django_db
def test_auto_submitted_no_is_a_person() -> None:
    complaint = submit_complaint()
    mail = inbound_mail_process(
        raw=_mail(in_reply_to=_acknowledgement(complaint).message_id, headers={"Auto-Submitted": "no"}).as_bytes()
    )
    assert mail.status == InboundMailStatus.MATCHED


# --- idempotency, bodies, attachments -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_message_twice_is_recorded_once() -> None:
    complaint = submit_complaint()
    raw = _mail(in_reply_to=_acknowledgement(complaint).message_id).as_bytes()
    first = inbound_mail_process(raw=raw)
    second = inbound_mail_process(raw=raw)
    assert first.pk == second.pk
    assert InboundMail.objects.count() == 1
    assert len(_customer_messages(complaint)) == 1


@pytest.mark.django_db
def test_a_message_without_message_id_is_recorded_once() -> None:
    complaint = submit_complaint()
    raw = _mail(in_reply_to=_acknowledgement(complaint).message_id, message_id=None).as_bytes()
    assert b"Message-ID" not in raw
    first = inbound_mail_process(raw=raw)
    second = inbound_mail_process(raw=raw)
    assert first.pk == second.pk
    assert first.message_id.startswith("<sha256-")
    assert len(_customer_messages(complaint)) == 1


@pytest.mark.django_db
def test_an_html_only_reply_becomes_text() -> None:
    complaint = submit_complaint()
    html = (
        "<div dir='ltr'>It <b>still</b> leaks.</div><br>"
        "<div class='gmail_quote'><div>On Wed, Amends wrote:</div>"
        "<blockquote class='gmail_quote'>We have received your complaint.</blockquote></div>"
    )
    mail = inbound_mail_process(
        raw=_mail(text=None, html=html, in_reply_to=_acknowledgement(complaint).message_id).as_bytes()
    )
    assert mail.status == InboundMailStatus.MATCHED
    assert [e.body for e in _customer_messages(complaint)] == ["It still leaks."]


@pytest.mark.django_db
def test_plain_text_is_preferred_to_html() -> None:
    complaint = submit_complaint()
    mail = inbound_mail_process(
        raw=_mail(
            text="Plain words.", html="<p>HTML words.</p>", in_reply_to=_acknowledgement(complaint).message_id
        ).as_bytes()
    )
    assert mail.status == InboundMailStatus.MATCHED
    assert [e.body for e in _customer_messages(complaint)] == ["Plain words."]


@pytest.mark.django_db
def test_an_attached_picture_is_kept_and_a_refused_file_is_noted() -> None:
    complaint = submit_complaint()
    message = _mail(text="Photo attached.", in_reply_to=_acknowledgement(complaint).message_id)
    message.add_attachment(PNG, maintype="image", subtype="png", filename="kettle.png")
    message.add_attachment(b"MZ\x90\x00evil", maintype="application", subtype="octet-stream", filename="setup.exe")
    mail = inbound_mail_process(raw=message.as_bytes())

    assert mail.status == InboundMailStatus.MATCHED
    (event,) = _customer_messages(complaint)
    assert event.body == "Photo attached."
    (attachment,) = Attachment.objects.filter(complaint=complaint)
    assert attachment.original_name == "kettle.png"
    assert attachment.content_type == "image/png"
    assert attachment.event_id == event.pk
    assert "setup.exe" in mail.reason


@pytest.mark.django_db
def test_only_refused_files_still_add_the_text() -> None:
    complaint = submit_complaint()
    message = _mail(text="See the file.", in_reply_to=_acknowledgement(complaint).message_id)
    message.add_attachment(b"<svg/>", maintype="image", subtype="svg+xml", filename="a.svg")
    mail = inbound_mail_process(raw=message.as_bytes())
    assert mail.status == InboundMailStatus.MATCHED
    assert [e.body for e in _customer_messages(complaint)] == ["See the file."]
    assert "a.svg" in mail.reason
    assert not Attachment.objects.filter(complaint=complaint).exists()


@pytest.mark.django_db
def test_a_reply_with_nothing_of_its_own_is_listed_for_staff() -> None:
    complaint = submit_complaint()
    letter = _acknowledgement(complaint)
    quoted = "\n".join(f"> {line}" for line in letter.body_text.splitlines())
    mail = inbound_mail_process(raw=_mail(text=quoted, in_reply_to=letter.message_id).as_bytes())
    assert mail.status == InboundMailStatus.UNMATCHED
    assert mail.complaint == complaint
    assert mail.reason
    assert _customer_messages(complaint) == []


@pytest.mark.django_db
def test_a_reply_to_a_closed_complaint_still_lands_on_its_timeline(agent_bob: object) -> None:
    complaint = submit_complaint()
    complaint_transition(
        complaint=complaint,
        action=Action.REJECT,
        actor=agent_bob,  # type: ignore[arg-type]
        comment="Out of warranty.",
        **closing_answers("reject"),
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.REJECTED
    mail = inbound_mail_process(
        raw=_mail(text="I disagree.", in_reply_to=_acknowledgement(complaint).message_id).as_bytes()
    )
    assert mail.status == InboundMailStatus.MATCHED
    assert [e.body for e in _customer_messages(complaint)] == ["I disagree."]


@pytest.mark.django_db
def test_the_staff_list_can_show_only_ignored_mail(client: Client, agent_bob: object) -> None:
    inbound_mail_process(raw=_mail(subject="Hello", text="A person wrote this.").as_bytes())
    inbound_mail_process(raw=_mail(text="Away until Monday.", headers={"X-Autoreply": "yes"}).as_bytes())
    client.force_login(agent_bob)  # type: ignore[arg-type]
    page = client.get(reverse("notifications:inbound_list"), {"status": "ignored"}).content.decode()
    assert "Away until Monday." in page
    assert "A person wrote this." not in page


# --- our letters ask for replies at the polled mailbox -------------------------------------------------------


@pytest.mark.django_db
def test_letters_carry_reply_to_when_configured(settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.REPLY_TO_EMAIL = "replies@amends.localhost"
    with django_capture_on_commit_callbacks(execute=True):
        submit_complaint()
    (sent,) = django_mail.outbox
    assert sent.reply_to == ["replies@amends.localhost"]


@pytest.mark.django_db
def test_letters_have_no_reply_to_by_default(settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.REPLY_TO_EMAIL = ""
    with django_capture_on_commit_callbacks(execute=True):
        submit_complaint()
    (sent,) = django_mail.outbox
    assert sent.reply_to == []
    assert "Reply-To" not in sent.message()


# --- the IMAP address -----------------------------------------------------------------------------------------


def test_imap_url_is_read_with_defaults() -> None:
    plain = imap_config_parse("imap://replies%40amends.localhost:p%40ss%2Fword@mail.example.com/Support%20Inbox")
    assert plain == ImapConfig(
        host="mail.example.com",
        port=143,
        username="replies@amends.localhost",
        password="p@ss/word",
        mailbox="Support Inbox",
        ssl=False,
    )
    secure = imap_config_parse("imaps://user:pw@mail.example.com")
    assert (secure.port, secure.ssl, secure.mailbox) == (993, True, "INBOX")
    with pytest.raises(ValueError, match="imap://"):
        imap_config_parse("pop3://user:pw@mail.example.com")


@pytest.mark.django_db
def test_a_message_the_parser_cannot_read_is_kept_for_staff(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(raw: bytes) -> None:
        raise UnicodeError("broken")

    monkeypatch.setattr("notifications.inbound.mail_parse", broken)
    raw = b"From: alice@example.com\r\nSubject: x\r\n\r\nHello\r\n"
    first = inbound_mail_process(raw=raw)
    assert (first.status, first.reason) == (InboundMailStatus.UNMATCHED, REASON_UNREADABLE)
    assert "Hello" in first.body_text
    assert inbound_mail_process(raw=raw).pk == first.pk
