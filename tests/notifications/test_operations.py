"""The staff leads' operations page (outbox figures, failed letters with a resend button, heartbeats) and the
health page (the daily promise checks), and the heartbeats the workers and the letter sweeper record."""

import html as html_lib
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint, SlaAlert, SlaAlertLevel, SlaHealthCheck, SlaTarget
from config.exceptions import PermissionRefused
from notifications import services, tasks
from notifications.models import Heartbeat, Letter, LetterStatus
from notifications.selectors import HeartbeatState, operations_overview
from tests.factories import submit_complaint

HERE = "tests.notifications.test_operations"
OPERATIONS = reverse("notifications:operations")
HEALTH = reverse("notifications:health")
RESEND_ALL = reverse("notifications:letters_resend_failed")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
_keys = count()


class RefusingRecipientBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        import smtplib

        raise smtplib.SMTPRecipientsRefused({"alice@example.com": (550, b"5.1.1 No such user")})


def _resend_url(letter_id: int) -> str:
    return reverse("notifications:letter_resend", args=[letter_id])


def _letter(status: str, *, created_at: datetime, complaint: Complaint | None = None, **fields: Any) -> Letter:
    """A hand-made outbox row (the figures only count rows; how they got there does not matter)."""
    return Letter.objects.create(
        complaint=complaint,
        recipient=fields.pop("recipient", "alice@example.com"),
        kind=fields.pop("kind", "reply"),
        language="en",
        subject="Hello",
        body_text="Hello",
        status=status,
        idempotency_key=f"test:{next(_keys)}",
        created_at=created_at,
        next_attempt_at=created_at,
        **fields,
    )


def _complaint() -> Complaint:
    """A submitted complaint without its acknowledgement letter, so the letter figures stay hand-made."""
    complaint = submit_complaint()
    Letter.objects.filter(complaint=complaint).delete()
    return complaint


def _beat(name: str, *, at: datetime) -> None:
    Heartbeat.objects.create(name=name, beat_at=at)


def _text(html: str, testid: str) -> str:
    """The text inside the element marked ``data-testid=testid`` (tags stripped, spaces squeezed)."""
    match = re.search(rf'<(\w+)[^>]*data-testid="{re.escape(testid)}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no {testid!r} on the page"
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group(2))).split())


def _messages(html: str) -> list[str]:
    return [html_lib.unescape(m.strip()) for m in re.findall(r'<li class="message [^"]*">(.*?)</li>', html, re.S)]


# --- the figures ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_figures_match_the_letters_alerts_and_heartbeats(client: Client, lead_tess: Any) -> None:
    with time_machine.travel(NOW - timedelta(hours=30), tick=False):
        complaint = _complaint()
    with time_machine.travel(NOW, tick=False):
        _letter(LetterStatus.QUEUED, created_at=NOW - timedelta(minutes=20))
        _letter(LetterStatus.QUEUED, created_at=NOW - timedelta(minutes=2))
        _letter(LetterStatus.QUEUED, created_at=NOW)
        _letter(LetterStatus.SENDING, created_at=NOW - timedelta(minutes=1), sending_started_at=NOW)
        failed = _letter(
            LetterStatus.FAILED,
            created_at=NOW - timedelta(days=1),
            complaint=complaint,
            recipient="bob@example.com",
            attempts=8,
            last_error="550 No such user",
        )
        _letter(LetterStatus.FAILED, created_at=NOW - timedelta(days=6))
        _letter(LetterStatus.FAILED, created_at=NOW - timedelta(days=10))  # failed, but not this week
        _letter(LetterStatus.SENT, created_at=NOW - timedelta(minutes=50), sent_at=NOW - timedelta(minutes=49))
        _letter(LetterStatus.SENT, created_at=NOW - timedelta(minutes=5), sent_at=NOW - timedelta(minutes=4))
        _letter(LetterStatus.SENT, created_at=NOW - timedelta(hours=3), sent_at=NOW - timedelta(hours=2))
        alert = {"complaint": complaint, "target": SlaTarget.FIRST_RESPONSE, "due_at": NOW}
        SlaAlert.objects.create(**alert, level=SlaAlertLevel.BREACH, created_at=NOW - timedelta(hours=1))
        SlaAlert.objects.create(
            **{**alert, "target": SlaTarget.RESOLUTION},
            level=SlaAlertLevel.BREACH,
            created_at=NOW - timedelta(hours=11),
        )
        SlaAlert.objects.create(  # yesterday evening: not today
            **{**alert, "target": SlaTarget.ACKNOWLEDGEMENT},
            level=SlaAlertLevel.BREACH,
            created_at=NOW - timedelta(hours=13),
        )
        SlaAlert.objects.create(**alert, level=SlaAlertLevel.WARNING, created_at=NOW - timedelta(hours=2))
        SlaHealthCheck.objects.create(
            checked_at=NOW - timedelta(hours=6),
            period_start=NOW - timedelta(days=1, hours=6),
            period_end=NOW - timedelta(hours=6),
            received=4,
            breaches=1,
            escalated=1,
        )
        _beat("sla_sweep", at=NOW - timedelta(minutes=10))
        _beat("sla_sweep_full", at=NOW - timedelta(minutes=20))  # every 15 minutes: late after 30
        _beat("letter_sweeper", at=NOW - timedelta(seconds=30))

        overview = operations_overview(user=lead_tess, now=timezone.now())
        client.force_login(lead_tess)
        response = client.get(OPERATIONS)

    assert overview.queued == 3
    assert overview.oldest_queued_age == timedelta(minutes=20)
    assert overview.sending == 1
    assert overview.failed_recent == 2
    assert overview.failed_letters[0].pk == failed.pk
    assert len(overview.failed_letters) == 3
    assert overview.sent_last_hour == 2
    assert overview.breaches_today == 2
    assert overview.warnings_today == 1
    assert overview.latest_check is not None
    assert overview.latest_check.holds
    states = {beat.name: beat.state for beat in overview.heartbeats}
    assert states == {
        "sla_sweep": HeartbeatState.LATE,
        "sla_sweep_full": HeartbeatState.OK,
        "sla_guard": HeartbeatState.MISSING,
        "letter_sweeper": HeartbeatState.OK,
        "worker:": HeartbeatState.MISSING,
    }

    assert response.status_code == 200
    assert response["Refresh"] == "30"
    page = response.content.decode()
    assert _text(page, "queued") == "3"
    assert _text(page, "oldest-queued").startswith("20 minutes")
    assert _text(page, "sending") == "1"
    assert _text(page, "sent-last-hour") == "2"
    assert _text(page, "failed-recent") == "2"
    assert _text(page, "breaches-today") == "2"
    assert _text(page, "warnings-today") == "1"
    assert "the promise holds" in _text(page, "latest-check")
    row = _text(page, f"failed-letter-{failed.pk}")
    for shown in (complaint.reference, "bob@example.com", "Reply", "8", "550 No such user", "Resend"):
        assert shown in row
    assert f'href="/dashboard/complaints/{complaint.reference}/"' in page
    assert 'data-testid="resend-all"' in page
    assert "csrfmiddlewaretoken" in page


@pytest.mark.django_db
def test_a_stopped_beat_shows_late_since_and_a_missing_one_missing(client: Client, manager_carol: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        _beat("sla_sweep", at=NOW - timedelta(minutes=10))  # late since 11:53
        _beat("worker:celery@web-1", at=NOW - timedelta(seconds=40))
        _beat("worker:celery@web-2", at=NOW - timedelta(minutes=5))  # late since 11:57
        client.force_login(manager_carol)
        page = client.get(OPERATIONS).content.decode()

    assert 'data-state="late"' in page
    assert _text(page, "heartbeat-sla_sweep").startswith("Promise sweep (every minute) late since 11:53")
    assert "late since 11:57" in _text(page, "heartbeat-worker:celery@web-2")
    assert "running" in _text(page, "heartbeat-worker:celery@web-1")
    assert "missing" in _text(page, "heartbeat-letter_sweeper")
    assert 'class="sla breached" data-testid="state"' in page


@pytest.mark.django_db
def test_a_fresh_start_shows_every_job_missing_and_no_letters(client: Client, lead_tess: Any) -> None:
    client.force_login(lead_tess)

    page = client.get(OPERATIONS).content.decode()

    assert _text(page, "queued") == "0"
    assert _text(page, "oldest-queued") == "nothing waits"
    assert "No failed letters" in page
    assert 'data-testid="resend-all"' not in page
    assert page.count('data-state="missing"') == 5


# --- who may see the pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    for response in (client.get(OPERATIONS), client.get(HEALTH), client.post(_resend_url(1)), client.post(RESEND_ALL)):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["agent_bob", "outsider_dave"])
def test_agents_and_others_may_not_see_or_resend(client: Client, persona: str, request: Any) -> None:
    letter = _letter(LetterStatus.FAILED, created_at=timezone.now())
    client.force_login(request.getfixturevalue(persona))

    assert client.get(OPERATIONS).status_code == 403
    assert client.get(HEALTH).status_code == 403
    assert client.post(_resend_url(letter.pk)).status_code == 403
    assert client.post(RESEND_ALL).status_code == 403
    letter.refresh_from_db()
    assert letter.status == LetterStatus.FAILED


@pytest.mark.django_db
def test_an_agent_does_not_see_the_links_and_the_selector_refuses(client: Client, agent_bob: Any) -> None:
    client.force_login(agent_bob)
    page = client.get(reverse("dashboard:queue")).content.decode()

    assert 'data-testid="nav-operations"' not in page
    with pytest.raises(PermissionRefused):
        operations_overview(user=agent_bob, now=timezone.now())


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["lead_tess", "manager_carol"])
def test_team_leads_and_managers_see_both_pages_and_the_links(client: Client, persona: str, request: Any) -> None:
    client.force_login(request.getfixturevalue(persona))

    operations_page = client.get(OPERATIONS)
    health_page = client.get(HEALTH)

    assert operations_page.status_code == 200
    assert health_page.status_code == 200
    assert "<h1>Operations</h1>" in operations_page.content.decode()
    assert "<h1>Promise health</h1>" in health_page.content.decode()
    html = operations_page.content.decode()
    assert f'href="{OPERATIONS}" data-testid="nav-operations"' in html
    assert f'href="{HEALTH}" data-testid="nav-health"' in html


# --- resending ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_resend_button_queues_a_failed_letter_and_the_worker_sends_it(
    client: Client, lead_tess: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    complaint = submit_complaint()
    letter = Letter.objects.get(complaint=complaint, kind="acknowledgement")
    settings.EMAIL_BACKEND = f"{HERE}.RefusingRecipientBackend"
    assert services.letter_send(letter_id=letter.pk).outcome is services.SendOutcome.FAILED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(lead_tess)
    assert f'data-testid="failed-letter-{letter.pk}"' in client.get(OPERATIONS).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_resend_url(letter.pk))

    assert response.status_code == 302
    assert response["Location"] == OPERATIONS
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT
    assert [m.subject for m in mail.outbox] == [letter.subject]
    page = client.get(OPERATIONS).content.decode()
    assert _messages(page) == ["The letter to alice@example.com is queued again and will be sent shortly."]
    assert f'data-testid="failed-letter-{letter.pk}"' not in page


@pytest.mark.django_db
def test_resending_a_letter_that_is_no_longer_failed_does_nothing(client: Client, lead_tess: Any) -> None:
    letter = _letter(LetterStatus.SENT, created_at=timezone.now(), sent_at=timezone.now())
    client.force_login(lead_tess)

    response = client.post(_resend_url(letter.pk), follow=True)

    assert response.status_code == 200
    assert _messages(response.content.decode()) == [
        "This letter is no longer failed: it was already queued again or sent."
    ]
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_bad_letter_id_is_404_never_500(client: Client, lead_tess: Any) -> None:
    client.force_login(lead_tess)

    assert client.post(_resend_url(987654)).status_code == 404
    assert client.post(f"{OPERATIONS}letters/99999999999999999999999/resend/").status_code == 404
    assert client.post(f"{OPERATIONS}letters/abc/resend/").status_code == 404
    letter = _letter(LetterStatus.FAILED, created_at=timezone.now())
    assert client.get(_resend_url(letter.pk)).status_code == 405


@pytest.mark.django_db
def test_resend_all_queues_every_failed_letter(
    client: Client, manager_carol: Any, django_capture_on_commit_callbacks: Any
) -> None:
    failed = [_letter(LetterStatus.FAILED, created_at=timezone.now() - timedelta(days=n)) for n in range(3)]
    sent = _letter(LetterStatus.SENT, created_at=timezone.now(), sent_at=timezone.now())
    client.force_login(manager_carol)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESEND_ALL, follow=True)

    assert _messages(response.content.decode()) == ["3 failed letters are queued again."]
    assert {letter.status for letter in Letter.objects.filter(pk__in=[f.pk for f in failed])} == {LetterStatus.SENT}
    assert len(mail.outbox) == 3
    sent.refresh_from_db()
    assert sent.status == LetterStatus.SENT

    again = client.post(RESEND_ALL, follow=True)
    assert _messages(again.content.decode()) == ["There are no failed letters to resend."]


@pytest.mark.django_db
@pytest.mark.parametrize("failed_letters", [3, 30])
def test_the_operations_page_runs_a_bounded_number_of_queries(
    client: Client, lead_tess: Any, failed_letters: int, django_assert_max_num_queries: Any
) -> None:
    complaints = [_complaint() for _ in range(3)]
    for n in range(failed_letters):
        _letter(LetterStatus.FAILED, created_at=timezone.now() - timedelta(minutes=n), complaint=complaints[n % 3])
    _beat("worker:celery@web-1", at=timezone.now())
    client.force_login(lead_tess)

    # Session, user, permissions and the header's duty switch, then the overview's seven reads: 12 whatever the
    # number of failed letters.
    with django_assert_max_num_queries(12):
        response = client.get(OPERATIONS)

    assert response.content.decode().count('data-testid="failed-letter-') == failed_letters


# --- the health page ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_health_page_lists_the_checks_and_links_the_offenders(
    client: Client, lead_tess: Any, django_assert_max_num_queries: Any
) -> None:
    with time_machine.travel(NOW - timedelta(minutes=20), tick=False):
        waiting = submit_complaint()  # its acknowledgement never went out
    with time_machine.travel(NOW, tick=False):
        submit_complaint()  # just in: not late yet
        SlaHealthCheck.objects.create(
            checked_at=NOW - timedelta(days=1),
            period_start=datetime(2026, 3, 8, tzinfo=UTC),
            period_end=datetime(2026, 3, 9, tzinfo=UTC),
            received=12,
            breaches=2,
            escalated=2,
        )
        broken = SlaHealthCheck.objects.create(
            checked_at=NOW - timedelta(hours=1),
            period_start=datetime(2026, 3, 9, tzinfo=UTC),
            period_end=datetime(2026, 3, 10, tzinfo=UTC),
            received=7,
            unacknowledged=1,
            breaches=3,
            escalated=2,
            offenders=[waiting.reference, "RC-2026-000404"],
        )
        client.force_login(lead_tess)
        with django_assert_max_num_queries(7):
            page = client.get(HEALTH).content.decode()

    rows = re.findall(r'data-testid="check-(\d+)"', page)
    assert rows[0] == str(broken.pk)
    assert len(rows) == 2
    row = _text(page, f"check-{broken.pk}")
    assert row.split()[1:6] == ["7", "1", "3", "2", "no"]
    assert f'<a href="/dashboard/complaints/{waiting.reference}/">{waiting.reference}</a>' in page
    assert '<a href="/dashboard/complaints/RC-2026-000404/">' in page
    assert page.count('data-testid="holds"><span class="sla ok">yes</span>') == 1
    assert _text(page, "unacknowledged-now") == (
        "Right now: 1 open complaint received over 15 minutes ago without acknowledgement."
    )


@pytest.mark.django_db
def test_the_health_page_says_when_no_check_has_run(client: Client, manager_carol: Any) -> None:
    client.force_login(manager_carol)

    page = client.get(HEALTH).content.decode()

    assert "No daily check has run yet." in page
    assert "Right now: 0 open complaints" in _text(page, "unacknowledged-now")


# --- heartbeats -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_heartbeat_task_writes_the_worker_s_row() -> None:
    with time_machine.travel(NOW, tick=False):
        name = tasks.worker_heartbeat.delay().get()
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        assert tasks.worker_heartbeat.delay().get() == name

    beat = Heartbeat.objects.get(name=name)
    assert name.startswith("worker:")
    assert len(name) > len("worker:")
    assert beat.beat_at == NOW + timedelta(seconds=30)
    assert Heartbeat.objects.count() == 1


def test_beat_runs_the_worker_heartbeat_every_30_seconds(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]
    assert entry["task"] == tasks.worker_heartbeat.name
    assert entry["schedule"] == timedelta(seconds=30)


@pytest.mark.django_db
def test_the_letter_sweeper_records_its_heartbeat() -> None:
    with time_machine.travel(NOW, tick=False):
        _letter(LetterStatus.QUEUED, created_at=NOW - timedelta(minutes=5))
        services.letters_redispatch_stale()

    beat = Heartbeat.objects.get(name="letter_sweeper")
    assert beat.beat_at == NOW
    assert beat.details == {"redispatched": 1}
