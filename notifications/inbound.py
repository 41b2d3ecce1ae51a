"""Customers' replies by email: parse a received message, decide where it belongs, and record it.

Every message becomes one ``InboundMail`` row, whatever happens to it: a reply to one of our letters lands
on its complaint's timeline, auto-replies and bounces are kept as ignored, and anything we cannot place
with confidence waits on the staff's "unmatched mail" list. Nothing is dropped.
"""

import email
import email.header
import email.policy
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from complaints.attachments import MAX_ATTACHMENTS, attachment_display_name, attachments_validate
from complaints.models import Complaint
from complaints.selectors import complaint_merge_destination
from complaints.services import complaint_customer_reply
from config.exceptions import ApplicationError
from notifications.models import InboundMail, InboundMailStatus, Letter

logger = logging.getLogger(__name__)

# Stored in English and translated where shown (the staff page runs them through the catalogue).
REASON_AUTO_SUBMITTED = gettext_noop("automatic reply (Auto-Submitted)")
REASON_AUTO_REPLY_HEADER = gettext_noop("automatic reply (X-Autoreply)")
REASON_PRECEDENCE = gettext_noop("bulk or automatic mail (Precedence)")
REASON_REPORT = gettext_noop("delivery report or bounce")
REASON_DAEMON = gettext_noop("sent by a mail server (bounce)")
REASON_NO_SENDER = gettext_noop("no sender address")
REASON_UNKNOWN_REFERENCE = gettext_noop("unknown reference")
REASON_WRONG_SENDER = gettext_noop("sender is not the complaint's customer")
REASON_NO_REFERENCE = gettext_noop("no reference")
REASON_EMPTY = gettext_noop("the reply has no text of its own and no files")
REASON_UNREADABLE = gettext_noop("the message could not be read")

REFERENCE_RE = re.compile(r"\bRC-\d{4}-\d{6}\b", re.IGNORECASE)
_MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")
_AUTO_PRECEDENCE = frozenset({"bulk", "junk", "auto_reply", "list"})
_DAEMON_LOCALPARTS = frozenset({"mailer-daemon", "postmaster"})
_MAX_MESSAGE_ID = 255
_MAX_SUBJECT = 255
_MAX_SENDER = 254
_MAX_REASON = 255


# --- parsing ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    sender: str
    subject: str
    text: str
    references: list[str]
    attachments: list[SimpleUploadedFile] = field(default_factory=list)
    ignore_reason: str = ""
    unreadable: bool = False


def _header(message: Message, name: str) -> str:
    """A header as text, or "" when absent or too broken to read."""
    try:
        value = message.get(name)
    except Exception:  # a malformed header must not lose the message
        return ""
    if value is None:
        return ""
    return " ".join(str(value).split())


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        return payload.decode("utf-8", errors="replace")


class _HtmlText(HTMLParser):
    """Text of an HTML body: block elements become line breaks; scripts, styles and quoted blocks are left out."""

    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr", "pre"})
    _SKIPPED = frozenset({"script", "style", "head", "title", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skipping = max(self._skipping - 1, 0)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            # Source line breaks and runs of spaces are one space in HTML; a no-break space is a plain one here.
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data).replace("\xa0", " "))


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML mail body (quoted ``<blockquote>`` history left out)."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _is_attachment(part: Message) -> bool:
    return bool(part.get_filename()) or part.get_content_disposition() == "attachment"


def _body_text(message: Message) -> str:
    plain: str | None = None
    html: str | None = None
    for part in message.walk():
        if part.is_multipart() or _is_attachment(part):
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain" and plain is None:
            plain = _decode(part)
        elif content_type == "text/html" and html is None:
            html = _decode(part)
    if plain is not None and plain.strip():
        return plain
    return html_to_text(html) if html else ""


def _attachments(message: Message) -> list[SimpleUploadedFile]:
    files = []
    for part in message.walk():
        if part.is_multipart() or not _is_attachment(part):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        name = attachment_display_name(part.get_filename())
        files.append(SimpleUploadedFile(name, content, content_type=part.get_content_type()))
    return files


def _ignore_reason(message: Message, sender: str) -> str:
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return REASON_AUTO_SUBMITTED
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return REASON_AUTO_REPLY_HEADER
    if _header(message, "Precedence").lower() in _AUTO_PRECEDENCE:
        return REASON_PRECEDENCE
    if message.get_content_type() == "multipart/report":
        return REASON_REPORT
    if not sender:
        return REASON_NO_SENDER
    if sender.split("@", 1)[0].lower() in _DAEMON_LOCALPARTS:
        return REASON_DAEMON
    return ""


def _raw_message_id(raw: bytes) -> str:
    # The same bytes always get the same id, so re-delivery of an id-less message is still recognised.
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@inbound.invalid>"


def mail_parse(raw: bytes) -> ParsedMail:
    """Everything we use of a raw RFC 5322 message. Undecodable parts and headers are read leniently."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    message_id = _header(message, "Message-ID")
    found = _MESSAGE_ID_RE.search(message_id)
    message_id = found.group(0) if found else message_id
    if not message_id:
        message_id = _raw_message_id(raw)
    references = _MESSAGE_ID_RE.findall(_header(message, "In-Reply-To") + " " + _header(message, "References"))
    from_header = _header(message, "From")
    addresses = [address for _name, address in getaddresses([from_header]) if address] if from_header else []
    sender = (addresses[0] if addresses else parseaddr(from_header)[1]).strip()
    subject = _header(message, "Subject")
    try:
        subject = str(email.header.make_header(email.header.decode_header(subject)))
    except Exception:  # undecodable encoded-words: keep the header as it came
        logger.debug("undecodable subject kept as is: %r", subject)
    return ParsedMail(
        message_id=message_id[:_MAX_MESSAGE_ID],
        sender=sender[:_MAX_SENDER],
        subject=" ".join(subject.split())[:_MAX_SUBJECT],
        text=_body_text(message),
        references=references,
        attachments=_attachments(message),
        ignore_reason=_ignore_reason(message, sender),
    )


# --- quoted history ---------------------------------------------------------------------------------------

# A line that introduces the quoted letter, in the clients our customers use (Gmail, Outlook, Apple Mail,
# Thunderbird, Yandex, Mail.ru), in English and Russian.
_REPLY_HEADER_RES = [
    re.compile(r"^\s*On\b.+\bwrote:\s*$", re.IGNORECASE),  # Gmail, Apple Mail, Thunderbird
    re.compile(r"^.+\b(написал|написала|написал\(а\)|пишет|писал)\s*:\s*$", re.IGNORECASE),  # noqa: RUF001
    re.compile(r"^\s*-{2,}\s*(Original Message|Исходное сообщение|Reply message)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above the quoted letter
    # Yandex ("25.11.2026, 14:00, "Amends" <care@…>:") and Mail.ru ("Среда, 25 ноября 2026, 14:00 +03:00 от
    # Amends <care@…>:"): a dated line ending with an address and a colon.
    re.compile(r"^.*\d.*<[^<>@\s]+@[^<>\s]+>\s*:\s*$"),
]
# Outlook and others quote with a header block: "From: …" followed by "Sent:", "Date:", "To:" or "Subject:".
_HEADER_FROM_RE = re.compile(r"^\s*\*?(From|От|De|Von)\s*:\*?\s", re.IGNORECASE)
_HEADER_NEXT_RE = re.compile(r"^\s*\*?(Sent|Date|To|Subject|Cc|Отправлено|Дата|Кому|Тема|Копия)\s*:\*?", re.IGNORECASE)
_SIGNATURE_RE = re.compile(r"^--\s?$")


def _starts_quoted_history(lines: list[str], index: int) -> bool:
    line = lines[index]
    if any(pattern.match(line) for pattern in _REPLY_HEADER_RES):
        return True
    # Gmail wraps a long "On … wrote:" over two lines.
    if index + 1 < len(lines) and re.match(r"^\s*On\b", line, re.IGNORECASE):
        joined = f"{line.rstrip()} {lines[index + 1].strip()}"
        if _REPLY_HEADER_RES[0].match(joined):
            return True
    if _HEADER_FROM_RE.match(line):
        following = [candidate for candidate in lines[index + 1 : index + 4] if candidate.strip()]
        return any(_HEADER_NEXT_RE.match(candidate) for candidate in following)
    return False


def reply_text_extract(text: str) -> str:
    """The customer's own words in a reply: quoted history, reply headers and the signature removed.

    Drops lines quoted with ">", and everything from the first line that introduces the quoted letter
    ("On … wrote:", "-----Original Message-----", its Russian forms, an Outlook "From:/Sent:" block, …) or
    a signature separator ("-- ") onwards.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _SIGNATURE_RE.match(line) or _starts_quoted_history(lines, index):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


# --- matching and recording -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    complaint: Complaint | None
    reason: str = ""


def mail_match(*, sender: str, subject: str, references: Sequence[str]) -> Match:
    """The complaint a reply belongs to, or why none is trusted.

    A reply that names one of our letters' Message-IDs (In-Reply-To or References) belongs to that letter's
    complaint. Otherwise a reference number in the subject is accepted only from the complaint's customer's
    own address, since anyone can type a reference.
    """
    if references:
        letter = (
            Letter.objects.filter(message_id__in=list(references), complaint__isnull=False)
            .select_related("complaint")
            .order_by("-created_at")
            .first()
        )
        if letter is not None and letter.complaint is not None:
            return Match(letter.complaint)
    found = REFERENCE_RE.search(subject)
    if found is None:
        return Match(None, REASON_NO_REFERENCE)
    complaint = Complaint.objects.select_related("customer").filter(reference=found.group(0).upper()).first()
    if complaint is None:
        return Match(None, REASON_UNKNOWN_REFERENCE)
    if complaint.customer.email.lower() != sender.lower():
        return Match(None, REASON_WRONG_SENDER)
    return Match(complaint)


def _split_attachments(files: Sequence[SimpleUploadedFile]) -> tuple[list[UploadedFile[bytes]], list[str]]:
    """The files the complaint accepts, and a note for each one refused (named, with why)."""
    accepted: list[UploadedFile[bytes]] = []
    refused: list[str] = []
    for upload in files:
        try:
            attachments_validate([upload])
        except ApplicationError as exc:
            refused.append(str(exc.message))
            continue
        if len(accepted) >= MAX_ATTACHMENTS:
            refused.append(f"“{upload.name}”: more than {MAX_ATTACHMENTS} files")
        else:
            accepted.append(upload)
    return accepted, refused


def _record_reply(*, complaint: Complaint, text: str, files: Sequence[SimpleUploadedFile]) -> tuple[str, str]:
    """Add the reply to the complaint's timeline; the resulting status and reason of the inbound mail."""
    accepted, refused = _split_attachments(files)
    notes: list[str] = []
    try:
        try:
            complaint_customer_reply(complaint=complaint, body=text, attachments=accepted, channel="email")
        except ApplicationError as exc:
            if not accepted or exc.extra.get("field") != "attachments":
                raise
            refused.append(str(exc.message))
            complaint_customer_reply(complaint=complaint, body=text, channel="email")
    except ApplicationError as exc:
        # e.g. nothing of its own to add: staff read it on the list instead.
        status = InboundMailStatus.UNMATCHED
        notes.append(REASON_EMPTY if not text and not accepted else str(exc.message))
    else:
        status = InboundMailStatus.MATCHED
    if refused:
        notes.append("files refused: " + "; ".join(refused))
    return status, " | ".join(notes)[:_MAX_REASON]


def inbound_mail_process(*, raw: bytes) -> InboundMail:
    """Record one received message and act on it; returns its ``InboundMail`` row.

    Idempotent by Message-ID (or, without one, by a hash of the bytes): the same message processed again
    returns the existing row and adds nothing. Auto-replies and bounces are stored as ``ignored``; a reply
    we can place lands on its complaint's timeline (without its quoted history, with its accepted files)
    as ``matched``; anything else is stored as ``unmatched`` with the reason, for staff to look at.
    """
    try:
        parsed = mail_parse(raw)
    except Exception:  # a message the parser chokes on is still kept, for staff to read
        logger.exception("inbound mail could not be parsed; kept as unmatched")
        parsed = ParsedMail(
            message_id=_raw_message_id(raw),
            sender="",
            subject="",
            text=raw.decode("utf-8", errors="replace"),
            references=[],
            unreadable=True,
        )
    existing = InboundMail.objects.filter(message_id=parsed.message_id).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        mail = InboundMail(
            message_id=parsed.message_id,
            sender=parsed.sender,
            subject=parsed.subject,
            body_text=parsed.text,
            raw=raw,
            status=InboundMailStatus.UNMATCHED,
        )
        try:
            # Claims the Message-ID first: a concurrent poller with the same message waits here, then backs off.
            with transaction.atomic():
                mail.save(force_insert=True)
        except IntegrityError:
            return InboundMail.objects.get(message_id=parsed.message_id)

        complaint: Complaint | None = None
        status: str
        if parsed.unreadable:
            status, reason = InboundMailStatus.UNMATCHED, REASON_UNREADABLE
        elif parsed.ignore_reason:
            status, reason = InboundMailStatus.IGNORED, parsed.ignore_reason
        else:
            match = mail_match(sender=parsed.sender, subject=parsed.subject, references=parsed.references)
            complaint = match.complaint
            if complaint is None:
                status, reason = InboundMailStatus.UNMATCHED, match.reason
            else:
                # A reply about a duplicate lands on the complaint it was merged into.
                complaint = complaint_merge_destination(complaint=complaint)
                reply = reply_text_extract(parsed.text)
                status, reason = _record_reply(complaint=complaint, text=reply, files=parsed.attachments)
        InboundMail.objects.filter(pk=mail.pk).update(status=status, reason=reason, complaint=complaint)
        mail.refresh_from_db(fields=["status", "reason", "complaint"])
    logger.info("inbound mail %s from %s: %s %s", mail.message_id, mail.sender, mail.status, mail.reason)
    return mail
