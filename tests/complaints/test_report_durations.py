"""Each complaint keeps how long its steps took, on the clock and in the working hours of its promise, fixed by
the services when each step happens; reopening clears the resolution and counts the reopening."""

import importlib
from datetime import datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps as django_apps

from complaints import events
from complaints.models import BusinessCalendar, Category, Complaint, Priority, SlaPolicy
from complaints.services import complaint_reply, complaint_transition
from complaints.transitions import Action
from tests.factories import closing_answers, submit_complaint

EKB = ZoneInfo("Asia/Yekaterinburg")


def ekb(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, Yekaterinburg time (20 November is a Friday, 23 November a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=EKB)


@pytest.fixture
def office_hours(db: Any) -> SlaPolicy:
    """Normal priority on office hours, 09:00-18:00 Monday to Friday in Yekaterinburg."""
    calendar = BusinessCalendar.objects.create(
        name="Office hours", time_zone="Asia/Yekaterinburg", opens_at=time(9), closes_at=time(18)
    )
    policy = SlaPolicy.objects.get(priority=Priority.NORMAL, category="", product__isnull=True)
    policy.calendar = calendar
    policy.save()
    return policy


def _at(when: datetime, service: Any, **kwargs: Any) -> Any:
    with time_machine.travel(when, tick=False):
        return service(**kwargs)


def _move(when: datetime, complaint: Complaint, action: str, actor: Any, comment: str = "") -> Complaint:
    """A status change at ``when``, with the closing answers the action asks for."""
    return cast(
        Complaint,
        _at(
            when,
            complaint_transition,
            complaint=complaint,
            action=action,
            actor=actor,
            comment=comment,
            **closing_answers(action),
        ),
    )


def _durations(complaint: Complaint) -> dict[str, Any]:
    complaint.refresh_from_db()
    names = [
        f"{step}{suffix}"
        for step in ("acknowledgement", "first_response", "resolution")
        for suffix in ("_minutes", "_working_minutes")
    ]
    return {name: getattr(complaint, name) for name in names} | {
        "reopen_count": complaint.reopen_count,
        "decided_at": complaint.decided_at,
    }


def test_steps_are_timed_on_the_clock_and_in_office_hours(office_hours: SlaPolicy, agent_bob: Any) -> None:
    # Friday 17:00: one working hour is left before the weekend.
    complaint = _at(ekb(20, 17), submit_complaint, category=Category.DEFECT)
    events.letter_delivered(
        complaint_id=complaint.pk,
        letter_id=1,
        kind="acknowledgement",
        recipient="a@example.com",
        sent_at=ekb(20, 17, 2),
    )
    _at(ekb(23, 10), complaint_reply, complaint=complaint, author=agent_bob, body="We are sorry; we are on it.")
    _move(ekb(23, 12, 30), complaint, Action.RESOLVE, agent_bob, "Replaced.")

    assert _durations(complaint) == {
        "acknowledgement_minutes": 2,
        "acknowledgement_working_minutes": 2,
        # Friday 17:00 to Monday 10:00: 65 hours on the clock, 1 + 1 working hours.
        "first_response_minutes": 65 * 60,
        "first_response_working_minutes": 120,
        # to Monday 12:30: 67.5 hours; 1 + 3.5 working hours.
        "resolution_minutes": 67 * 60 + 30,
        "resolution_working_minutes": 270,
        "reopen_count": 0,
        "decided_at": ekb(23, 12, 30),
    }


def test_a_second_acknowledgement_letter_changes_nothing(office_hours: SlaPolicy) -> None:
    complaint = _at(ekb(20, 17), submit_complaint)
    for minutes in (2, 30):
        events.letter_delivered(
            complaint_id=complaint.pk,
            letter_id=minutes,
            kind="acknowledgement",
            recipient="a@example.com",
            sent_at=ekb(20, 17, minutes),
        )

    complaint.refresh_from_db()
    assert (complaint.acknowledged_at, complaint.acknowledgement_minutes) == (ekb(20, 17, 2), 2)


def test_reopening_clears_the_resolution_and_the_next_one_counts_from_receipt(
    office_hours: SlaPolicy, agent_bob: Any
) -> None:
    complaint = _at(ekb(20, 17), submit_complaint)
    _move(ekb(23, 10), complaint, Action.START, agent_bob)
    _move(ekb(23, 12, 30), complaint, Action.RESOLVE, agent_bob, "Done.")

    _move(ekb(23, 15), complaint, Action.REOPEN, agent_bob, "Not fixed after all.")
    reopened = _durations(complaint)
    assert (reopened["resolution_minutes"], reopened["resolution_working_minutes"]) == (None, None)
    assert (reopened["reopen_count"], reopened["decided_at"]) == (1, None)

    _move(ekb(24, 9, 30), complaint, Action.RESOLVE, agent_bob, "Done now.")
    again = _durations(complaint)
    # Friday 17:00 to Tuesday 09:30: 88.5 hours; 1 + 9 + 0.5 working hours.
    assert (again["resolution_minutes"], again["resolution_working_minutes"]) == (88 * 60 + 30, 630)
    assert (again["reopen_count"], again["decided_at"]) == (1, ekb(24, 9, 30))


def test_a_declined_complaint_is_decided_when_declined(office_hours: SlaPolicy, agent_bob: Any) -> None:
    complaint = _at(ekb(23, 9), submit_complaint)
    _move(ekb(23, 11), complaint, Action.REJECT, agent_bob, "The warranty ended last year.")

    durations = _durations(complaint)
    assert durations["decided_at"] == ekb(23, 11)
    assert (durations["resolution_minutes"], durations["resolution_working_minutes"]) == (120, 120)
    # Declining writes to the customer: that is the first response too.
    assert (durations["first_response_minutes"], durations["first_response_working_minutes"]) == (120, 120)


def test_a_promise_around_the_clock_counts_every_hour(db: Any, agent_bob: Any) -> None:
    complaint = _at(ekb(20, 17), submit_complaint)
    _at(ekb(23, 10), complaint_reply, complaint=complaint, author=agent_bob, body="Sorry for the wait.")

    durations = _durations(complaint)
    assert durations["first_response_minutes"] == durations["first_response_working_minutes"] == 65 * 60


def test_the_migration_times_the_complaints_already_there(office_hours: SlaPolicy, agent_bob: Any) -> None:
    complaint = _at(ekb(20, 17), submit_complaint)
    _at(ekb(23, 10), complaint_reply, complaint=complaint, author=agent_bob, body="Sorry for the wait.")
    _move(ekb(23, 12, 30), complaint, Action.RESOLVE, agent_bob, "Done.")
    _move(ekb(23, 15), complaint, Action.REOPEN, agent_bob, "Again.")
    _move(ekb(23, 16), complaint, Action.RESOLVE, agent_bob, "Done.")
    expected = _durations(complaint)
    Complaint.objects.filter(pk=complaint.pk).update(
        first_response_minutes=None,
        first_response_working_minutes=None,
        resolution_minutes=None,
        resolution_working_minutes=None,
        reopen_count=0,
        decided_at=None,
    )

    importlib.import_module("complaints.migrations.0018_complaint_elapsed_times").backfill(django_apps, None)
    importlib.import_module("complaints.migrations.0019_complaint_decided_at").backfill(django_apps, None)

    assert _durations(complaint) == expected
    assert expected["reopen_count"] == 1
    assert expected["resolution_working_minutes"] == 60 + 7 * 60  # Friday's hour, Monday 09:00-16:00
    assert timedelta(minutes=expected["resolution_minutes"]) == ekb(23, 16) - ekb(20, 17)
