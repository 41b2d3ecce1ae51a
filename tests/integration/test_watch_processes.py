"""The promise watch with real processes: ``celery beat`` runs the sweep (every two seconds here), ``celery worker``
processes handle the alerts it hands over, and the escalation letters reach an SMTP sink. A beat stopped while
promises broke, and restarted, escalates each breach once; two beats and two workers at once escalate each breach
once and send each letter once.
"""

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent, Priority, SlaAlert, Team, TeamMember
from notifications.models import Heartbeat
from tests.factories import submit_complaint, team_lead
from tests.integration.faults import (
    new_key_prefix,
    producer_on,
    redis_server,
    scripted_sink,
    start_beat,
    start_worker,
    stop_worker,
    workers_cleanup,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SWEEP_EVERY = 2  # seconds between two sweeps of the test's beat
# The default promise of a normal complaint: a first response within 8 hours, around the clock.
FIRST_RESPONSE = timedelta(hours=8)


def _until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.2)


def _escalations(complaint: Complaint) -> int:
    return ComplaintEvent.objects.filter(complaint=complaint, kind=ComplaintEvent.Kind.ESCALATED).count()


def _overdue_complaints(run: str, *, late_by: list[timedelta]) -> list[Complaint]:
    """Complaints whose first response came due ``late_by`` ago, while no beat ran."""
    now = timezone.now()
    complaints = []
    for index, late in enumerate(late_by):
        with time_machine.travel(now - FIRST_RESPONSE - late, tick=False):
            complaints.append(submit_complaint(email=f"late-{run}-{index}@example.com"))
    return complaints


def _lead_and_team(run: str) -> Any:
    """A team lead, alone in the default team and nobody on duty: a broken promise goes to the lead."""
    lead = team_lead(f"lead-{run}", email=f"lead-{run}@example.com")
    team = Team.objects.create(name=f"Shop {run}", is_default=True)
    TeamMember.objects.create(team=team, user=lead, is_lead=True)
    return lead


def _sweeps_after(moment: Any, count: int, *, timeout: float) -> None:
    """Wait until beat's sweep has run ``count`` times after ``moment`` (its heartbeat moved past it)."""
    marks: set[str] = set()

    def counted() -> bool:
        beat = Heartbeat.objects.filter(name="sla_sweep", beat_at__gt=moment).first()
        if beat is not None:
            marks.add(beat.beat_at.isoformat())
        return len(marks) >= count

    _until(counted, timeout=timeout, what=f"{count} sweeps after {moment}")


@pytest.mark.timeout(150)
def test_a_beat_stopped_while_promises_broke_escalates_each_once_and_again_not_after_a_restart(
    tmp_path: Path,
) -> None:
    run = uuid.uuid4().hex[:8]
    lead = _lead_and_team(run)
    prefix = new_key_prefix()
    with redis_server(tmp_path) as broker, scripted_sink() as sink, workers_cleanup() as started:
        with producer_on(broker.url, prefix):
            # Due one hour ago (within the minute's look-back) and three and five hours ago (beyond it).
            late = _overdue_complaints(run, late_by=[timedelta(hours=1), timedelta(hours=3), timedelta(hours=5)])
        started.append(
            start_worker(
                broker_url=broker.url,
                key_prefix=prefix,
                smtp_port=sink.port,
                log_path=tmp_path / "worker.log",
                name="watch",
            )
        )
        beat = start_beat(broker_url=broker.url, key_prefix=prefix, log_path=tmp_path / "beat.log")
        started.append(beat)

        _until(
            lambda: all(_escalations(c) == 1 for c in late),
            timeout=60,
            what="every breach escalated",
        )
        sink.wait_for(len(late), to=lead.email, timeout=30)

        # The beat stops and starts again: the breaches are still there, and nothing happens twice.
        stop_worker(beat)
        restarted_at = timezone.now()
        started.append(start_beat(broker_url=broker.url, key_prefix=prefix, log_path=tmp_path / "beat-2.log"))
        _sweeps_after(restarted_at, 3, timeout=60)
        time.sleep(1)  # the last sweep's alert tasks, if any, reach the worker

    for complaint in late:
        complaint.refresh_from_db()
        assert _escalations(complaint) == 1
        assert complaint.priority == Priority.HIGH
        assert complaint.assignee_id == lead.pk
        assert SlaAlert.objects.filter(complaint=complaint, level="breach", notified=[lead.username]).count() == 1
    subjects = [str(message["Subject"]) for message in sink.messages(to=lead.email)]
    assert len(subjects) == len(late)
    for complaint in late:
        assert sum(complaint.reference in subject for subject in subjects) == 1


@pytest.mark.timeout(150)
def test_two_beats_and_two_workers_at_once_escalate_each_breach_once(tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    lead = _lead_and_team(run)
    prefix = new_key_prefix()
    with redis_server(tmp_path) as broker, scripted_sink() as sink, workers_cleanup() as started:
        with producer_on(broker.url, prefix):
            late = _overdue_complaints(run, late_by=[timedelta(minutes=10 * i + 1) for i in range(8)])
        for name in ("one", "two"):
            started.append(
                start_worker(
                    broker_url=broker.url,
                    key_prefix=prefix,
                    smtp_port=sink.port,
                    log_path=tmp_path / f"worker-{name}.log",
                    name=f"watch-{name}",
                )
            )
        began = timezone.now()
        for name in ("one", "two"):
            started.append(start_beat(broker_url=broker.url, key_prefix=prefix, log_path=tmp_path / f"beat-{name}.log"))

        _until(lambda: all(_escalations(c) == 1 for c in late), timeout=60, what="every breach escalated")
        _sweeps_after(began, 4, timeout=60)
        sink.wait_for(len(late), to=lead.email, timeout=30)
        time.sleep(1.5)  # anything sent twice would arrive by now

        message_ids = sink.message_ids(to=lead.email)

    assert all(_escalations(c) == 1 for c in late)
    assert SlaAlert.objects.filter(complaint__in=late, level="breach").exclude(
        notified__has_key="covered_by"
    ).count() == len(late)
    assert len(message_ids) == len(set(message_ids)) == len(late)
