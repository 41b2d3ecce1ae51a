"""A webhook receiver on the loopback interface: a real HTTP server in a thread that records every request,
checks its signature with the subscriber's secret, and answers with the statuses a test scripts."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from notifications.webhooks.transport import webhook_signature_verify

# The secret the tests give their subscribers, and the receiver checks signatures with.
RECEIVER_SECRET = "whsec-test-0123456789abcdefghijklmnop"


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """``statuses`` are answered in turn (then ``default_status``); ``delay`` seconds pass before each answer."""

    secret: str = RECEIVER_SECRET
    statuses: list[int] = field(default_factory=list)
    default_status: int = 200
    delay: float = 0.0
    requests: list[ReceivedRequest] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/amends"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                valid = webhook_signature_verify(
                    receiver.secret, self.headers.get("X-Amends-Signature", ""), body, tolerance=300
                )
                with receiver._changed:
                    receiver.requests.append(ReceivedRequest(self.path, dict(self.headers), body, valid))
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
                    receiver._changed.notify_all()
                if receiver.delay:
                    time.sleep(receiver.delay)
                answer = json.dumps({"received": status < 300}).encode()
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def wait_for(self, count: int, *, timeout: float = 20.0) -> list[ReceivedRequest]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.requests) < count and time.monotonic() < deadline:
                self._changed.wait(timeout=0.2)
            found = list(self.requests)
        if len(found) < count:
            raise AssertionError(f"expected {count} webhook request(s) within {timeout}s, got {len(found)}")
        return found
