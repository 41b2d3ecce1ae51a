"""The email channel keeps its SMTP connection between letters and finds out a dropped one before a letter does."""

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from notifications import channels
from notifications.models import Letter, LetterStatus
from notifications.services import letter_send
from tests.factories import submit_complaint
from tests.integration.conftest import free_port


class _PeerSink:
    """Keeps, for each message, the client's (address, port): one port per SMTP connection."""

    def __init__(self) -> None:
        self.peers: list[tuple[str, int]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        host, port = session.peer[:2]
        self.peers.append((str(host), int(port)))
        return "250 Message accepted for delivery"


@pytest.fixture
def sink_port() -> Iterator[int]:
    port = free_port()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=port
    ):
        yield port
    channels._smtp_drop()


def _serve(port: int) -> tuple[Controller, _PeerSink]:
    handler = _PeerSink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, handler


def _letters(count: int) -> list[Letter]:
    complaints = [submit_complaint(email=f"kept-{i}@example.com") for i in range(count)]
    return [Letter.objects.get(complaint=complaint) for complaint in complaints]


@pytest.mark.django_db
def test_letters_share_one_smtp_connection(sink_port: int) -> None:
    letters = _letters(3)
    controller, sink = _serve(sink_port)
    try:
        for letter in letters:
            letter_send(letter_id=letter.pk)
    finally:
        controller.stop()

    assert len(sink.peers) == 3
    assert len(set(sink.peers)) == 1, "one connection for the three letters"
    assert {letter.status for letter in Letter.objects.filter(pk__in=[x.pk for x in letters])} == {LetterStatus.SENT}


@pytest.mark.django_db
def test_a_server_restarted_between_letters_costs_no_letter_an_attempt(sink_port: int) -> None:
    first, second = _letters(2)
    controller, sink = _serve(sink_port)
    letter_send(letter_id=first.pk)
    controller.stop()  # the kept connection is dead now
    controller, restarted = _serve(sink_port)
    try:
        letter_send(letter_id=second.pk)
    finally:
        controller.stop()

    second.refresh_from_db()
    assert (second.status, second.attempts, second.last_error) == (LetterStatus.SENT, 1, "")
    assert len(sink.peers) == len(restarted.peers) == 1
