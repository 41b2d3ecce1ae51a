"""The mailbox customers reply to, read over IMAP: each unseen message is recorded, then marked seen.

A message is flagged ``\\Seen`` only after ``inbound_mail_process`` committed it. A crash in between leaves it
unseen and it is read again next time, which is harmless: processing is idempotent by Message-ID.
"""

import imaplib
import logging
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from django.conf import settings

from notifications.inbound import inbound_mail_process

logger = logging.getLogger(__name__)

IMAP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    username: str
    password: str
    mailbox: str
    ssl: bool


def imap_config_parse(url: str) -> ImapConfig:
    """``imap://user:pass@host:143/INBOX`` or ``imaps://…`` (port 993 by default); the mailbox defaults to INBOX."""
    parsed = urlparse(url)
    if parsed.scheme not in {"imap", "imaps"}:
        raise ValueError(f"IMAP_URL must start with imap:// or imaps://, not {parsed.scheme!r}")
    ssl = parsed.scheme == "imaps"
    return ImapConfig(
        host=parsed.hostname or "localhost",
        port=parsed.port or (993 if ssl else 143),
        username=unquote(parsed.username or ""),
        password=unquote(parsed.password or ""),
        mailbox=unquote(parsed.path.lstrip("/")) or "INBOX",
        ssl=ssl,
    )


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _connect(config: ImapConfig) -> imaplib.IMAP4:
    if config.ssl:
        return imaplib.IMAP4_SSL(config.host, config.port, timeout=IMAP_TIMEOUT_SECONDS)
    return imaplib.IMAP4(config.host, config.port, timeout=IMAP_TIMEOUT_SECONDS)


def _message_bytes(fetched: list[object]) -> bytes | None:
    for item in fetched:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def inbound_mail_poll(*, limit: int = 100, url: str | None = None) -> int:
    """Read up to ``limit`` unseen messages from the ``IMAP_URL`` mailbox; returns how many were processed.

    A message that cannot be processed is logged and left unseen for the next run.
    """
    config = imap_config_parse(url if url is not None else settings.IMAP_URL)
    client = _connect(config)
    processed = 0
    try:
        client.login(config.username, config.password)
        status, _data = client.select(_quoted(config.mailbox))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open mailbox {config.mailbox!r}: {_data!r}")
        status, found = client.uid("SEARCH", "UNSEEN")
        uids = found[0].split()[:limit] if status == "OK" and found and isinstance(found[0], bytes) else []
        for uid in uids:
            # BODY.PEEK leaves \Seen alone (a plain RFC822 fetch would set it before we have processed anything).
            status, fetched = client.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
            raw = _message_bytes(list(fetched)) if status == "OK" else None
            if raw is None:
                logger.warning("IMAP message uid %s could not be fetched: %r", uid, fetched)
                continue
            try:
                inbound_mail_process(raw=raw)
            except Exception:
                logger.exception("IMAP message uid %s could not be processed; left unseen", uid)
                continue
            client.uid("STORE", uid.decode(), "+FLAGS.SILENT", "(\\Seen)")
            processed += 1
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            logger.debug("IMAP logout failed", exc_info=True)
    return processed
