"""The wire side of webhooks: signing a body, checking a signature, refusing private addresses, and one POST.

Nothing here touches the database, so receivers (and the tests) can use ``webhook_signature_verify`` on its own.

The signature header is ``X-Amends-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``:
the timestamp is signed with the body, so a captured request cannot be replayed later than the receiver's
tolerance, and a changed byte of the body fails the check.
"""

import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SIGNATURE_HEADER = "X-Amends-Signature"
USER_AGENT = "Amends-Webhooks/1"
# How much of a receiver's answer the delivery log keeps.
RESPONSE_EXCERPT_CHARS = 500
ERROR_CHARS = 300
# A receiver may take a signature this old (seconds) by default.
DEFAULT_TOLERANCE_SECONDS = 300


def webhook_secret_new() -> str:
    """A new signing secret: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def webhook_signature(*, secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Amends-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_signature_verify(
    secret: str,
    header: str,
    body: bytes | str,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """Whether ``header`` (an ``X-Amends-Signature`` value) signs ``body`` (the raw request body) with ``secret``
    and its timestamp is within ``tolerance`` seconds of ``now``. Several ``v1=`` values are allowed (any may
    match), so a receiver can accept the old and the new secret's signatures while rotating."""
    raw = body.encode() if isinstance(body, str) else body
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _sep, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = webhook_signature(secret=secret, body=raw, timestamp=timestamp).partition("v1=")[2]
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


# --- which addresses we send to ---------------------------------------------------------------------------------


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _addresses(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class AddressRefused(Exception):
    """The URL's host is (or resolves to) a private, loopback or otherwise local address."""


def _default_port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _checked_address(parts: SplitResult) -> str:
    """The address to connect to: the host's first address, refused when any of its addresses is not public
    (unless ``WEBHOOK_ALLOW_PRIVATE_URLS``). Connecting to the very address checked keeps a DNS answer that
    changes between the check and the connection from reaching the internal network."""
    host = parts.hostname or ""
    addresses = _addresses(host, _default_port(parts))
    if not addresses:
        raise OSError(f"cannot resolve {host}")
    if not settings.WEBHOOK_ALLOW_PRIVATE_URLS and not all(_is_public(address) for address in addresses):
        raise AddressRefused(f"{host} is a private or local address")
    return addresses[0]


def validate_webhook_url(value: str) -> None:
    """Model and form validation of a subscriber's URL: http or https only, and, unless
    ``WEBHOOK_ALLOW_PRIVATE_URLS``, no host on a private, loopback or link-local network (an address that does not
    resolve yet is accepted; every delivery checks again)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Enter an address starting with http:// or https://."), code="webhook_url_scheme")
    if parts.username or parts.password:
        raise ValidationError(
            _("Do not put a user name or password in the address; deliveries are signed with the secret instead."),
            code="webhook_url_credentials",
        )
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return
    host = parts.hostname
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = ["127.0.0.1"] if host == "localhost" or host.endswith(".localhost") else []
        addresses += _addresses(host, _default_port(parts))
    if not all(_is_public(address) for address in addresses):
        raise ValidationError(
            _(
                "This address is on a private or local network (%(host)s). Webhooks go only to addresses "
                "reachable on the internet."
            ),
            code="webhook_url_private",
            params={"host": host},
        )


# --- one POST ---------------------------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host name, not the address connected to.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PostResult:
    """What one attempt got: the HTTP status (None when no answer came), the start of the answer, and an error."""

    status_code: int | None
    response_excerpt: str = ""
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def webhook_post(*, url: str, secret: str, event_type: str, event_id: str, body: bytes, timeout: float) -> PostResult:
    """POST a signed JSON body to ``url`` once. Redirects are not followed (a 3xx is a failed attempt)."""
    parts = urlsplit(url)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Amends-Event": event_type,
        "X-Amends-Delivery": event_id,
        SIGNATURE_HEADER: webhook_signature(secret=secret, body=body, timestamp=timestamp),
    }
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection | None = None
    try:
        address = _checked_address(parts)
        pinned = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
        connection = pinned(parts.hostname or "", _default_port(parts), address=address, timeout=timeout)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT_CHARS * 4).decode("utf-8", errors="replace")[:RESPONSE_EXCERPT_CHARS]
    except AddressRefused as exc:
        return PostResult(None, error=f"refused: {exc}"[:ERROR_CHARS])
    except (OSError, http.client.HTTPException, ValueError) as exc:  # timeouts are OSError too
        return PostResult(None, error=f"{type(exc).__name__}: {exc}"[:ERROR_CHARS])
    finally:
        if connection is not None:
            connection.close()
    error = "" if 200 <= response.status < 300 else f"HTTP {response.status} {response.reason}"[:ERROR_CHARS]
    return PostResult(response.status, response_excerpt=excerpt, error=error)
