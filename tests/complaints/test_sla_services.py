"""Due times through the services: set when a complaint arrives, paused while we wait for the customer, owed
again after the customer writes, and counted again when the priority or the category changes."""

from datetime import UTC, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
import time_machine

from complaints.models import BusinessCalendar, Category, Complaint, ComplaintEvent, Priority, SlaPolicy, Status
from complaints.services import (
    complaint_change_field,
    complaint_change_priority,
    complaint_customer_reply,
    complaint_reply,
    complaint_transition,
)
from complaints.transitions import Action
from customers.models import Product
from tests.factories import ProductFactory, closing_answers, submit_complaint

EKB = ZoneInfo("Asia/Yekaterinburg")


def ekb(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, Yekaterinburg time (23 November is a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=EKB)


@pytest.fixture
def office_policy(db: Any) -> SlaPolicy:
    """Normal priority on office hours (09-18 Mon-Fri, Yekaterinburg): acknowledge in 1 h, answer in 2 h,
    answer a customer's reply in 1 h, resolve in 10 working hours."""
    calendar = BusinessCalendar.objects.create(
        name="Office hours", time_zone="Asia/Yekaterinburg", opens_at=time(9), closes_at=time(18)
    )
    policy = SlaPolicy.objects.get(priority=Priority.NORMAL, category="", product__isnull=True)
    policy.calendar = calendar
    policy.acknowledgement_minutes, policy.first_response_minutes = 60, 120
    policy.next_response_minutes, policy.resolution_minutes = 60, 600
    policy.save()
    return policy


def _submit(when: datetime, **overrides: Any) -> Complaint:
    with time_machine.travel(when, tick=False):
        return submit_complaint(**{"category": Category.DEFECT, **overrides})


def _do(when: datetime, service: Any, **kwargs: Any) -> Any:
    with time_machine.travel(when, tick=False):
        return service(**kwargs)


def _dues(complaint: Complaint) -> tuple[datetime | None, ...]:
    complaint.refresh_from_db()
    return (complaint.acknowledgement_due, complaint.first_response_due, complaint.resolution_due)


def test_a_complaint_on_friday_evening_is_due_on_monday(office_policy: SlaPolicy) -> None:
    complaint = _submit(ekb(20, 17))

    assert _dues(complaint) == (ekb(20, 18), ekb(23, 10), ekb(23, 18))
    assert complaint.sla_policy == office_policy
    assert complaint.next_response_due is None
    assert complaint.sla_paused_at is None
    assert complaint.sla_paused_minutes == 0


def test_urgent_and_high_stay_around_the_clock(office_policy: SlaPolicy) -> None:
    complaint = _submit(ekb(20, 17), category=Category.SERVICE_OUTAGE)

    high = SlaPolicy.objects.get(priority=Priority.HIGH, category="", product__isnull=True)
    assert complaint.priority == Priority.HIGH
    assert complaint.sla_policy == high
    assert complaint.first_response_due == ekb(20, 17) + timedelta(minutes=high.first_response_minutes)


def test_a_product_promise_applies_from_submission(office_policy: SlaPolicy) -> None:
    kettle = cast(Product, ProductFactory(code="kettle"))
    policy = SlaPolicy.objects.create(
        priority=Priority.NORMAL, product=kettle, first_response_minutes=30, resolution_minutes=90
    )

    complaint = _submit(ekb(23, 12), product_code="kettle")

    assert complaint.sla_policy == policy
    assert complaint.first_response_due == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 24/7: plain 30 minutes


def test_the_clock_pauses_over_a_night_while_we_wait_for_the_customer(office_policy: SlaPolicy, agent_bob: Any) -> None:
    # Monday 09:00: acknowledgement due 10:00, first response 11:00, resolution Tuesday 10:00.
    complaint = _submit(ekb(23, 9))
    assert _dues(complaint) == (ekb(23, 10), ekb(23, 11), ekb(24, 10))
    _do(ekb(23, 9, 30), complaint_transition, complaint=complaint, action=Action.START, actor=agent_bob)

    _do(
        ekb(23, 17, 30),
        complaint_transition,
        complaint=complaint,
        action=Action.REQUEST_INFO,
        actor=agent_bob,
        comment="Which model is it?",
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_CUSTOMER
    assert complaint.sla_paused_at == ekb(23, 17, 30)

    _do(ekb(24, 10), complaint_customer_reply, complaint=complaint, body="The Aqua 1.7.")

    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.status == Status.IN_PROGRESS
    assert complaint.sla_paused_at is None
    assert complaint.sla_paused_minutes == 90  # 17:30-18:00 and 09:00-10:00
    # Acknowledgement and first response were already missed when the wait began: they stay. The resolution
    # moves by exactly the 90 working minutes of the wait.
    assert _dues(complaint) == (ekb(23, 10), ekb(23, 11), ekb(24, 11, 30))
    # The customer's reply is owed an answer within an hour.
    assert complaint.next_response_due == ekb(24, 11)


def test_all_due_times_move_when_none_had_passed(office_policy: SlaPolicy, agent_bob: Any) -> None:
    office_policy.acknowledgement_minutes, office_policy.first_response_minutes = 600, 1200
    office_policy.resolution_minutes = 5400
    office_policy.save()
    complaint = _submit(ekb(23, 9))
    assert _dues(complaint) == (ekb(24, 10), ekb(25, 11), datetime(2026, 12, 4, 18, tzinfo=EKB))
    _do(ekb(23, 9, 10), complaint_transition, complaint=complaint, action=Action.START, actor=agent_bob)
    _do(
        ekb(23, 17, 30),
        complaint_transition,
        complaint=complaint,
        action=Action.REQUEST_INFO,
        actor=agent_bob,
        comment="Which model is it?",
    )

    # Resolving ends the wait too.
    _do(
        ekb(24, 10),
        complaint_transition,
        complaint=complaint,
        action=Action.RESOLVE,
        actor=agent_bob,
        **closing_answers("resolve"),
    )

    complaint.refresh_from_db()
    assert complaint.sla_paused_at is None
    assert complaint.sla_paused_minutes == 90
    assert _dues(complaint) == (ekb(24, 11, 30), ekb(25, 12, 30), datetime(2026, 12, 7, 10, 30, tzinfo=EKB))


def test_a_staff_reply_clears_the_answer_owed_to_the_customer(office_policy: SlaPolicy, agent_bob: Any) -> None:
    complaint = _submit(ekb(23, 9))
    _do(ekb(23, 9, 30), complaint_reply, complaint=complaint, author=agent_bob, body="We are on it.")

    _do(ekb(23, 17, 45), complaint_customer_reply, complaint=complaint, body="Any news?", channel="email")
    complaint.refresh_from_db()
    assert complaint.next_response_due == ekb(24, 9, 45)  # 15 minutes on Monday, 45 on Tuesday

    # A second message does not push the promise back.
    _do(ekb(24, 9), complaint_customer_reply, complaint=complaint, body="Hello?")
    complaint.refresh_from_db()
    assert complaint.next_response_due == ekb(24, 9, 45)

    _do(ekb(24, 9, 30), complaint_reply, complaint=complaint, author=agent_bob, body="Replacement on its way.")
    complaint.refresh_from_db()
    assert complaint.next_response_due is None


def test_a_new_priority_counts_the_due_times_again_from_the_start(office_policy: SlaPolicy, agent_bob: Any) -> None:
    complaint = _submit(ekb(20, 17))
    _do(ekb(23, 9), complaint_customer_reply, complaint=complaint, body="Please hurry.")

    _do(
        ekb(23, 9, 15),
        complaint_change_priority,
        complaint=complaint,
        actor=agent_bob,
        priority=Priority.URGENT,
        reason="VIP",
    )

    urgent = SlaPolicy.objects.get(priority=Priority.URGENT, category="", product__isnull=True)
    complaint.refresh_from_db()
    received = ekb(20, 17)
    assert complaint.sla_policy == urgent
    assert complaint.first_response_due == received + timedelta(minutes=urgent.first_response_minutes)
    assert complaint.resolution_due == received + timedelta(minutes=urgent.resolution_minutes)
    assert complaint.acknowledgement_due == received + timedelta(minutes=urgent.acknowledgement_minutes)
    # The answer owed to Monday's message is counted again from it, around the clock.
    assert complaint.next_response_due == ekb(23, 9) + timedelta(minutes=urgent.first_response_minutes)
    event = complaint.events.filter(kind=ComplaintEvent.Kind.FIELD_CHANGED).get()
    assert event.data["due"]["first_response_due"] == complaint.first_response_due.isoformat()
    assert event.data["due"]["resolution_due"] == complaint.resolution_due.isoformat()

    # Back to normal: office hours again, from the same moment of receipt.
    _do(
        ekb(23, 9, 20),
        complaint_change_priority,
        complaint=complaint,
        actor=agent_bob,
        priority=Priority.NORMAL,
        reason="Not VIP",
    )
    assert _dues(complaint) == (ekb(20, 18), ekb(23, 10), ekb(23, 18))


def test_a_new_priority_keeps_the_paused_minutes(office_policy: SlaPolicy, agent_bob: Any) -> None:
    complaint = _submit(ekb(23, 9))
    _do(ekb(23, 9, 30), complaint_transition, complaint=complaint, action=Action.START, actor=agent_bob)
    _do(
        ekb(23, 17, 30),
        complaint_transition,
        complaint=complaint,
        action=Action.REQUEST_INFO,
        actor=agent_bob,
        comment="?",
    )
    _do(ekb(24, 10), complaint_customer_reply, complaint=complaint, body="Here.")

    _do(
        ekb(24, 10, 5),
        complaint_change_priority,
        complaint=complaint,
        actor=agent_bob,
        priority=Priority.LOW,
        reason="Minor",
    )

    low = SlaPolicy.objects.get(priority=Priority.LOW, category="", product__isnull=True)
    complaint.refresh_from_db()
    assert complaint.sla_paused_minutes == 90
    assert complaint.resolution_due == ekb(23, 9) + timedelta(minutes=low.resolution_minutes + 90)


def test_a_new_category_can_choose_its_own_promise(office_policy: SlaPolicy, agent_bob: Any) -> None:
    delivery = SlaPolicy.objects.create(
        priority=Priority.NORMAL,
        category=Category.DELIVERY,
        calendar=office_policy.calendar,
        acknowledgement_minutes=30,
        first_response_minutes=60,
        resolution_minutes=180,
    )
    complaint = _submit(ekb(23, 9))

    _do(
        ekb(23, 9, 5),
        complaint_change_field,
        complaint=complaint,
        actor=agent_bob,
        field="category",
        value=Category.DELIVERY,
        reason="It is late, not broken",
    )

    complaint.refresh_from_db()
    assert complaint.sla_policy == delivery
    assert _dues(complaint) == (ekb(23, 9, 30), ekb(23, 10), ekb(23, 12))


@pytest.mark.django_db
def test_the_demo_data_puts_low_and_normal_on_office_hours() -> None:
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    calendar = BusinessCalendar.objects.get(name="Office hours")
    assert (calendar.time_zone, calendar.opens_at, calendar.closes_at) == ("Asia/Yekaterinburg", time(9), time(18))
    assert calendar.working_days == [0, 1, 2, 3, 4]
    assert calendar.holidays.count() == 2 * 14  # this year's and next year's
    general = SlaPolicy.objects.filter(category="", product__isnull=True)
    assert {p.priority: p.calendar_id for p in general} == {
        Priority.LOW: calendar.pk,
        Priority.NORMAL: calendar.pk,
        Priority.HIGH: None,
        Priority.URGENT: None,
    }
