"""The SLA watchers Celery beat runs: warnings at 75 % of a promise's time, escalation at its breach (once, however
many sweeps run and however late), the unanswered guard, the daily health check and the managers' digest."""

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from compensation.models import CompensationOffer, OfferKind, OfferStatus
from complaints import tasks
from complaints.models import (
    Complaint,
    ComplaintEvent,
    Priority,
    SlaAlert,
    SlaAlertLevel,
    SlaHealthCheck,
    SlaTarget,
    Status,
    Team,
    TeamMember,
)
from complaints.selectors import complaint_sla_alerts_for_staff
from complaints.services import (
    agent_duty_set,
    complaint_change_priority,
    complaint_reply,
    complaint_transition,
    sla_digest_send,
    sla_guard_unacknowledged,
    sla_health_check,
    sla_sweep,
    sla_watch,
)
from complaints.transitions import Action
from notifications.models import Heartbeat, Letter, LetterKind, LetterStatus
from tests.factories import agent, closing_answers, manager, submit_complaint, team_lead

# Tuesday 24 November 2026, 10:00 UTC; the default promises run around the clock. A normal complaint is owed a
# first response in 8 h (warning at 6 h) and a resolution in 3 days.
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)

_emails = iter(range(1_000_000))


def _submit(when: datetime = T0, **overrides: Any) -> Complaint:
    with time_machine.travel(when, tick=False):
        return submit_complaint(email=f"customer{next(_emails)}@example.com", **overrides)


def _sweep(when: datetime) -> dict[str, int]:
    with time_machine.travel(when, tick=False):
        return sla_sweep(now=when)


def _team(name: str = "Shop", *, members: Iterable[Any] = (), leads: Iterable[Any] = ()) -> Team:
    team = Team.objects.create(name=name, is_default=True)
    for user in members:
        TeamMember.objects.create(team=team, user=user)
    for user in leads:
        TeamMember.objects.create(team=team, user=user, is_lead=True)
    return team


def _on_duty(*users: Any, on: bool = True) -> None:
    for user in users:
        agent_duty_set(user=user, on_duty=on, actor=user)


def _events(complaint: Complaint, kind: str) -> list[ComplaintEvent]:
    return list(ComplaintEvent.objects.filter(complaint=complaint, kind=kind))


def _letters(kind: str, **filters: Any) -> list[Letter]:
    return list(Letter.objects.filter(kind=kind, **filters).order_by("pk"))


@pytest.fixture
def bob_on_duty(agent_bob: Any, lead_tess: Any) -> Any:
    """Bob, on duty in the default team that Tess leads: new complaints go to him."""
    _team(members=[agent_bob], leads=[lead_tess])
    _on_duty(agent_bob)
    return agent_bob


# --- warnings ---------------------------------------------------------------------------------------------


def test_a_warning_at_75_percent_reaches_the_assignee_once(bob_on_duty: Any) -> None:
    complaint = _submit()
    assert complaint.assignee == bob_on_duty

    assert _sweep(T0 + 5 * H + timedelta(minutes=59))["warnings"] == 0
    first = _sweep(T0 + 6 * H)
    second = _sweep(T0 + 6 * H + timedelta(minutes=1))

    assert (first["warnings"], second["warnings"]) == (1, 0)
    alert = SlaAlert.objects.get(complaint=complaint)
    assert (alert.target, alert.level, alert.due_at) == (SlaTarget.FIRST_RESPONSE, "warning", T0 + 8 * H)
    assert alert.notified == ["bob"]
    [letter] = _letters(LetterKind.SLA_WARNING)
    assert letter.recipient == bob_on_duty.email
    assert letter.idempotency_key == f"sla_warning:complaint:{complaint.pk}:first_response:{(T0 + 8 * H).isoformat()}"
    assert complaint.reference in letter.subject
    assert "first response" in letter.body_text
    [event] = _events(complaint, ComplaintEvent.Kind.SLA_WARNING)
    assert event.is_public is False
    assert _events(complaint, ComplaintEvent.Kind.ESCALATED) == []


def test_a_moved_due_time_can_warn_again(bob_on_duty: Any, lead_tess: Any) -> None:
    complaint = _submit()
    _sweep(T0 + 6 * H)
    with time_machine.travel(T0 + 6 * H + timedelta(minutes=5), tick=False):
        # Low priority: the first response is now due after 24 h, its warning at 18 h.
        complaint_change_priority(complaint=complaint, actor=lead_tess, priority=Priority.LOW, reason="Not urgent")

    assert _sweep(T0 + 7 * H)["warnings"] == 0
    assert _sweep(T0 + 18 * H)["warnings"] == 1

    dues = sorted(SlaAlert.objects.filter(complaint=complaint, level="warning").values_list("due_at", flat=True))
    assert dues == [T0 + 8 * H, T0 + 24 * H]
    assert len(_letters(LetterKind.SLA_WARNING)) == 2


def test_the_badge_on_the_complaint_page_shows_the_current_alerts(bob_on_duty: Any, client: Any) -> None:
    complaint = _submit()
    _sweep(T0 + 6 * H)
    client.force_login(bob_on_duty)

    with time_machine.travel(T0 + 6 * H, tick=False):
        page = client.get(reverse("dashboard:complaint", kwargs={"reference": complaint.reference}))
        [alert] = complaint_sla_alerts_for_staff(user=bob_on_duty, complaint=complaint)

    assert alert.level == SlaAlertLevel.WARNING
    assert page.status_code == 200
    assert 'data-testid="sla-alert-warning"' in page.content.decode()


# --- breaches and escalation ------------------------------------------------------------------------------


def test_a_breach_is_escalated_once_to_the_team_lead_and_the_complaint_assigned(agent_bob: Any, lead_tess: Any) -> None:
    _team(members=[agent_bob], leads=[lead_tess])
    complaint = _submit()  # nobody on duty: unassigned
    assert complaint.assignee is None
    _on_duty(agent_bob)

    counts = _sweep(T0 + 8 * H)
    again = _sweep(T0 + 8 * H + timedelta(minutes=1))

    assert counts["breaches"] == 1
    assert again["breaches"] == 0
    complaint.refresh_from_db()
    assert complaint.priority == Priority.HIGH
    assert complaint.assignee == agent_bob
    [breached] = _events(complaint, ComplaintEvent.Kind.SLA_BREACHED)
    assert breached.data["target"] == SlaTarget.FIRST_RESPONSE
    assert breached.is_public is False
    [escalated] = _events(complaint, ComplaintEvent.Kind.ESCALATED)
    assert escalated.data["told"] == ["tess"]
    assert escalated.data["assigned_to"] == "bob"
    assert escalated.data["priority"] == {"from": "normal", "to": "high"}
    [letter] = _letters(LetterKind.ESCALATION)
    assert letter.recipient == lead_tess.email
    assert complaint.reference in letter.subject
    assert "Assigned to: Bob Agentson" in letter.body_text
    # The priority change is on the timeline, with the system as its author.
    [change] = _events(complaint, ComplaintEvent.Kind.FIELD_CHANGED)
    assert change.author is None
    assert change.body == "Promise broken: first response"
    # The tighter promise's first response (4 h) was already behind us: covered by the same escalation.
    assert SlaAlert.objects.filter(complaint=complaint, level="breach").count() == 2
    assert set(escalated.data["alerts"]) == set(
        SlaAlert.objects.filter(complaint=complaint, level="breach").values_list("pk", flat=True)
    )


def test_an_urgent_complaint_stays_urgent_and_without_leads_the_managers_are_told(
    agent_bob: Any, manager_carol: Any
) -> None:
    other_manager = manager("mona")
    complaint = _submit()
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        complaint_change_priority(complaint=complaint, actor=agent_bob, priority=Priority.URGENT, reason="Fire")

    assert _sweep(T0 + H + timedelta(minutes=1))["breaches"] == 1

    complaint.refresh_from_db()
    assert complaint.priority == Priority.URGENT
    assert complaint.assignee is None  # no team, nobody to give it to
    assert {letter.recipient for letter in _letters(LetterKind.ESCALATION)} == {
        manager_carol.email,
        other_manager.email,
    }
    assert len(_events(complaint, ComplaintEvent.Kind.ESCALATED)) == 1


def test_with_nobody_on_duty_the_team_lead_gets_the_complaint(agent_bob: Any, lead_tess: Any) -> None:
    _team(members=[agent_bob], leads=[lead_tess])
    complaint = _submit()

    _sweep(T0 + 8 * H)

    complaint.refresh_from_db()
    assert complaint.assignee == lead_tess


def test_paused_and_resolved_complaints_are_skipped(bob_on_duty: Any) -> None:
    waiting, resolved = _submit(), _submit()
    with time_machine.travel(T0 + H, tick=False):
        complaint_transition(complaint=waiting, action=Action.START, actor=bob_on_duty)
        complaint_transition(
            complaint=waiting, action=Action.REQUEST_INFO, actor=bob_on_duty, comment="Which model is it?"
        )
        complaint_transition(complaint=resolved, action=Action.START, actor=bob_on_duty)
        complaint_transition(
            complaint=resolved, action=Action.RESOLVE, actor=bob_on_duty, comment="Fixed", **closing_answers("resolve")
        )

    counts = _sweep(T0 + 80 * H)

    assert counts == {"warnings": 0, "breaches": 0, "looked_at": 0, "full": 1}
    assert not SlaAlert.objects.exists()
    assert Heartbeat.objects.get(name="sla_sweep").details["looked_at"] == 0


def test_a_first_response_given_in_time_is_never_escalated(bob_on_duty: Any) -> None:
    complaint = _submit()
    with time_machine.travel(T0 + H, tick=False):
        complaint_reply(complaint=complaint, author=bob_on_duty, body="We are on it.")

    _sweep(T0 + 9 * H)

    assert not SlaAlert.objects.filter(complaint=complaint, target=SlaTarget.FIRST_RESPONSE).exists()


def test_beat_stopped_for_an_hour_then_every_breach_is_found_and_escalated_once(bob_on_duty: Any) -> None:
    complaints = [_submit() for _ in range(20)]
    _sweep(T0 + 6 * H)  # the warnings go out; then the beat stops
    # Frozen for an hour past every due time: nothing sweeps.
    with time_machine.travel(T0 + 8 * H, tick=False):
        pass

    counts = _sweep(T0 + 9 * H)
    again = _sweep(T0 + 9 * H + timedelta(minutes=1))

    assert counts["breaches"] == 20
    assert (again["warnings"], again["breaches"]) == (0, 0)
    for complaint in complaints:
        assert len(_events(complaint, ComplaintEvent.Kind.ESCALATED)) == 1
        assert len(_events(complaint, ComplaintEvent.Kind.SLA_BREACHED)) == 1
    assert len(_letters(LetterKind.ESCALATION)) == 20
    assert len(_letters(LetterKind.SLA_WARNING)) == 20


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_warn_and_escalate_each_complaint_once() -> None:
    bob, tess = agent("bob"), team_lead("tess")
    _team(members=[bob], leads=[tess])
    _on_duty(bob)
    late = [_submit() for _ in range(4)]
    nearly = [_submit(T0 + 2 * H) for _ in range(4)]  # warned at 8 h, due at 10 h
    when = T0 + 8 * H

    with time_machine.travel(when, tick=False):
        results = _at_once(lambda: sla_sweep(now=when), lambda: sla_sweep(now=when))

    assert sum(r["breaches"] for r in results) == 4
    assert sum(r["warnings"] for r in results) == 4
    for complaint in late:
        assert len(_events(complaint, ComplaintEvent.Kind.ESCALATED)) == 1
        assert len(_events(complaint, ComplaintEvent.Kind.SLA_BREACHED)) == 1
    for complaint in nearly:
        assert len(_events(complaint, ComplaintEvent.Kind.SLA_WARNING)) == 1
    assert len(_letters(LetterKind.ESCALATION)) == 4
    assert len(_letters(LetterKind.SLA_WARNING)) == 4


@pytest.mark.parametrize("open_count", [10, 200])
def test_the_sweep_costs_grow_with_the_complaints_due_not_with_all_open(
    bob_on_duty: Any, open_count: int, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        _submit()  # due for a warning at 6 h
    for _ in range(open_count - 5):
        _submit(T0 + 5 * H)  # far from their due times
    # A few queries to read the candidates (one per promise and level) and record the heartbeat, plus a fixed
    # number per warned complaint (lock, alert in a savepoint, letter, event): 67 whether 10 or 200 are open.
    with django_assert_max_num_queries(7 + 5 * 12):
        counts = _sweep(T0 + 6 * H)

    assert counts["warnings"] == 5


# --- a minute's sweep and the full pass ----------------------------------------------------------------------


def test_a_backlog_escalated_long_ago_costs_a_minutes_sweep_nothing(
    bob_on_duty: Any, django_assert_max_num_queries: Any
) -> None:
    backlog = [_submit() for _ in range(30)]
    _sweep(T0 + 9 * H)  # a full pass: each escalated once
    fresh = _submit(T0 + 4 * H)  # due at 12 h
    _sweep(T0 + 12 * H - timedelta(minutes=5))  # the last full pass, which reads the backlog once more

    when = T0 + 12 * H + timedelta(minutes=1)
    with time_machine.travel(when, tick=False), django_assert_max_num_queries(12):
        handed: list[tuple[int, str, str, datetime]] = []
        counts = sla_sweep(now=when, dispatch=handed.extend)

    assert counts["full"] == 0
    assert {pk for pk, *_rest in handed} == {fresh.pk}
    # The minute's breach scan is a range on the due time's index, bounded on both sides: the 30 overdue
    # complaints behind the look-back are not read at all.
    for watched in sla_watch.WATCHED:
        where = str(sla_watch._candidates(watched, level=SlaAlertLevel.BREACH, now=when, full=False).query)
        assert f'"{watched.due_field}" <= ' in where
        assert f'"{watched.due_field}" > ' in where
    assert all(len(_events(c, ComplaintEvent.Kind.ESCALATED)) == 1 for c in backlog)


def test_a_due_time_moved_far_into_the_past_is_found_by_the_next_full_pass(bob_on_duty: Any, agent_bob: Any) -> None:
    old = _submit()  # a normal complaint, answered in time; its resolution is due in 3 days
    with time_machine.travel(T0 + H, tick=False):
        complaint_reply(complaint=old.pk, author=agent_bob, body="We are sorry: this is our fault. We are on it.")
    _sweep(T0 + 2 * H)  # the full pass of the day's first sweep
    # Two days later it becomes urgent: resolution due 8 h after it arrived, long behind us.
    later = T0 + 2 * 24 * H
    with time_machine.travel(later, tick=False):
        complaint_change_priority(complaint=old.pk, actor=agent_bob, priority=Priority.URGENT, reason="The CEO asked")
    old.refresh_from_db()
    assert old.resolution_due == T0 + 8 * H

    minute = sla_sweep(now=later + timedelta(minutes=1), full=False)
    assert minute["breaches"] == 0, "a minute's sweep looks back two hours only"
    counts = _sweep(later + sla_watch.FULL_SWEEP_EVERY)

    assert (counts["full"], counts["breaches"]) == (1, 1)
    [alert] = SlaAlert.objects.filter(complaint=old, level=SlaAlertLevel.BREACH)
    assert (alert.target, alert.due_at) == (SlaTarget.RESOLUTION, T0 + 8 * H)
    assert len(_events(old, ComplaintEvent.Kind.ESCALATED)) == 1


def test_an_alert_lost_for_longer_than_the_look_back_is_found_by_the_full_pass(bob_on_duty: Any) -> None:
    complaint = _submit()  # first response due at 8 h
    when = T0 + 8 * H
    # Every task handed over for two hours and a half is lost; then the broker works again.
    lost = when
    while lost < when + 2 * H + 30 * timedelta(minutes=1):
        lost += timedelta(minutes=1)
        with time_machine.travel(lost, tick=False):
            sla_sweep(now=lost, dispatch=lambda alerts: None)
    assert not SlaAlert.objects.filter(complaint=complaint, level=SlaAlertLevel.BREACH).exists()

    handed: list[tuple[int, str, str, datetime]] = []
    back = lost + timedelta(minutes=1)
    with time_machine.travel(back, tick=False):
        counts = sla_sweep(now=back, dispatch=handed.extend)
        if not handed:  # the due time is out of the minute's look-back: the next full pass hands it over
            back += sla_watch.FULL_SWEEP_EVERY
            counts = sla_sweep(now=back, dispatch=handed.extend)
    assert counts["full"] == 1
    assert (complaint.pk, SlaTarget.FIRST_RESPONSE, "breach", T0 + 8 * H) in handed


def test_a_beat_stopped_for_longer_than_the_look_back_starts_with_a_full_pass(bob_on_duty: Any) -> None:
    early = [_submit() for _ in range(3)]  # due at 8 h
    _sweep(T0 + 7 * H)  # a full pass, then the minute's sweeps; then the beat stops for five hours
    assert _sweep(T0 + 7 * H + timedelta(minutes=1))["full"] == 0

    counts = _sweep(T0 + 12 * H)

    assert (counts["full"], counts["breaches"]) == (1, 3)
    assert all(len(_events(c, ComplaintEvent.Kind.ESCALATED)) == 1 for c in early)
    beat = Heartbeat.objects.get(name="sla_sweep_full")
    assert beat.beat_at == T0 + 12 * H


# --- the beat's sweep hands the alerts to the workers -------------------------------------------------------


def test_the_beats_sweep_hands_each_alert_over_and_writes_nothing_itself(bob_on_duty: Any) -> None:
    late = [_submit() for _ in range(3)]
    handed: list[tuple[int, str, str, datetime]] = []
    when = T0 + 9 * H

    with time_machine.travel(when, tick=False):
        counts = sla_sweep(now=when, dispatch=handed.extend)

    assert counts["breaches"] == len({pk for pk, _target, level, _due in handed if level == "breach"}) == 3
    assert SlaAlert.objects.count() == 0, "nothing is recorded until a worker handles the alert"
    assert not ComplaintEvent.objects.filter(kind=ComplaintEvent.Kind.ESCALATED).exists()

    # A worker handles each alert; one handed over twice (a sweep re-sent it) is still handled once.
    with time_machine.travel(when + timedelta(seconds=5), tick=False):
        done = [
            sla_watch.sla_alert_handle(complaint_id=pk, target=target, level=level, due_at=due, now=when)
            for pk, target, level, due in [*handed, *handed]
        ]
    assert done.count(True) == len(handed)
    for complaint in late:
        assert len(_events(complaint, ComplaintEvent.Kind.ESCALATED)) == 1
    assert len(_letters(LetterKind.ESCALATION)) == 3


def test_the_beats_sweep_hands_alerts_over_in_chunks(bob_on_duty: Any) -> None:
    late = [_submit() for _ in range(sla_watch.ALERT_CHUNK * 2 + 3)]
    chunks: list[list[tuple[int, str, str, datetime]]] = []
    when = T0 + 9 * H
    with time_machine.travel(when, tick=False):
        counts = sla_sweep(now=when, dispatch=chunks.append)

    assert [len(chunk) for chunk in chunks] == [sla_watch.ALERT_CHUNK, sla_watch.ALERT_CHUNK, 3]
    assert counts["breaches"] == len(late)
    with time_machine.travel(when + timedelta(seconds=5), tick=False):
        acted = [tasks.sla_alerts_handle_task([[pk, t, lvl, due.isoformat()] for pk, t, lvl, due in c]) for c in chunks]
    assert acted == [sla_watch.ALERT_CHUNK, sla_watch.ALERT_CHUNK, 3]
    assert all(len(_events(c, ComplaintEvent.Kind.ESCALATED)) == 1 for c in late)


def test_an_alert_lost_on_the_way_to_a_worker_is_handed_over_again(bob_on_duty: Any) -> None:
    complaint = _submit()
    when = T0 + 9 * H
    with time_machine.travel(when, tick=False):
        sla_sweep(now=when, dispatch=lambda alerts: None)  # the broker lost every task

    handed: list[tuple[int, str, str, datetime]] = []
    later = when + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        sla_sweep(now=later, dispatch=handed.extend)
    assert {pk for pk, *_rest in handed} == {complaint.pk}


@pytest.mark.parametrize("due_count", [5, 50])
def test_the_beats_sweep_reads_the_due_complaints_in_a_fixed_number_of_queries(
    bob_on_duty: Any, due_count: int, django_assert_max_num_queries: Any
) -> None:
    for _ in range(due_count):
        _submit()
    when = T0 + 9 * H
    with time_machine.travel(when, tick=False), django_assert_max_num_queries(12):
        counts = sla_sweep(now=when, dispatch=lambda alerts: None)
    assert counts["breaches"] >= due_count


def test_the_beats_sweep_task_escalates_through_the_alert_task(bob_on_duty: Any) -> None:
    complaint = _submit()
    with time_machine.travel(T0 + 9 * H, tick=False):
        tasks.sla_sweep_task.delay()  # eager here: each alert task runs at once

    assert len(_events(complaint, ComplaintEvent.Kind.ESCALATED)) == 1
    assert SlaAlert.objects.filter(complaint=complaint, level="breach").exists()


# --- the unanswered guard ---------------------------------------------------------------------------------


def test_the_guard_acknowledges_a_complaint_whose_letter_was_lost(
    agent_bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    lost = _submit()
    Letter.objects.filter(complaint=lost).delete()  # the acknowledgement never reached the outbox
    with django_capture_on_commit_callbacks(execute=True):
        delivered = _submit()
    delivered.refresh_from_db()
    assert delivered.acknowledged_at is not None

    with time_machine.travel(T0 + timedelta(minutes=4), tick=False):
        assert sla_guard_unacknowledged(now=T0 + timedelta(minutes=4)) == {}
    when = T0 + timedelta(minutes=6)
    with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
        counts = sla_guard_unacknowledged(now=when)
    with time_machine.travel(when + timedelta(minutes=1), tick=False):
        again = sla_guard_unacknowledged(now=when + timedelta(minutes=1))

    assert counts == {"queued": 1}
    assert again == {}
    lost.refresh_from_db()
    assert lost.acknowledged_at is not None
    [letter] = _letters(LetterKind.ACKNOWLEDGEMENT, complaint=lost)
    assert letter.status == LetterStatus.SENT
    assert letter.idempotency_key == f"acknowledgement:complaint:{lost.pk}:received"
    assert len(_letters(LetterKind.ACKNOWLEDGEMENT, complaint=delivered)) == 1
    assert not SlaAlert.objects.filter(complaint=delivered).exists()


def test_the_guard_sends_a_failed_acknowledgement_again(db: Any, django_capture_on_commit_callbacks: Any) -> None:
    complaint = _submit()
    Letter.objects.filter(complaint=complaint).update(status=LetterStatus.FAILED, attempts=8)
    when = T0 + timedelta(minutes=10)

    with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
        counts = sla_guard_unacknowledged(now=when)

    assert counts == {"resent": 1}
    complaint.refresh_from_db()
    assert complaint.acknowledged_at is not None


# --- the daily health check and digest --------------------------------------------------------------------


def test_the_health_check_proves_yesterday(bob_on_duty: Any) -> None:
    acknowledged, escalated = _submit(), _submit()
    Complaint.objects.filter(pk__in=[acknowledged.pk, escalated.pk]).update(acknowledged_at=T0 + timedelta(minutes=1))
    _sweep(T0 + 8 * H)
    late_evening = _submit(T0 + 13 * H + timedelta(minutes=55))  # 23:55: may still be acknowledged tomorrow
    Complaint.objects.filter(pk=late_evening.pk).update(acknowledged_at=None)

    with time_machine.travel(T0 + 14 * H + timedelta(minutes=10), tick=False):
        check = sla_health_check(now=T0 + 14 * H + timedelta(minutes=10))

    assert (check.period_start, check.period_end) == (T0 - 10 * H, T0 + 14 * H)
    assert check.received == 3
    assert check.unacknowledged == 0
    # Each breach, and the tighter promise's breach its escalation covered.
    assert (check.breaches, check.escalated) == (4, 4)
    assert check.offenders == []
    assert check.holds


def test_the_health_check_lists_the_offenders(bob_on_duty: Any) -> None:
    silent = _submit()  # acknowledgement never delivered (its letter waits in the outbox)
    ignored = _submit()
    Complaint.objects.filter(pk=ignored.pk).update(acknowledged_at=T0 + timedelta(minutes=1))
    SlaAlert.objects.create(
        complaint=ignored, target=SlaTarget.RESOLUTION, level="breach", due_at=T0 + H, created_at=T0 + H
    )

    check = sla_health_check(now=T0 + 15 * H)

    assert check.received == 2
    assert check.unacknowledged == 1
    assert (check.breaches, check.escalated) == (1, 0)
    assert check.offenders == [silent.reference, ignored.reference]
    assert not check.holds
    assert SlaHealthCheck.objects.count() == 1


def test_the_digest_reaches_each_manager_once_with_the_figures(bob_on_duty: Any, manager_carol: Any) -> None:
    first, second = _submit(), _submit(T0 + H)
    with time_machine.travel(T0 + 2 * H, tick=False):
        complaint_transition(complaint=second, action=Action.START, actor=bob_on_duty)
        complaint_transition(
            complaint=second, action=Action.RESOLVE, actor=bob_on_duty, comment="Done", **closing_answers("resolve")
        )
    _sweep(T0 + 8 * H)
    for amount in (Decimal("100.00"), Decimal("250.50")):
        CompensationOffer.objects.create(
            complaint=second,
            kind=OfferKind.REFUND,
            amount=amount,
            currency="RUB",
            status=OfferStatus.ACCEPTED,
            decided_at=T0 + 3 * H,
        )
    when = T0 + 22 * H  # 08:00 the next day

    with time_machine.travel(when, tick=False):
        sent = sla_digest_send(now=when)
        again = sla_digest_send(now=when + H)

    assert (sent, again) == (1, 0)
    [letter] = _letters(LetterKind.DIGEST)
    assert letter.recipient == manager_carol.email
    assert letter.idempotency_key == f"digest:{manager_carol.pk}:2026-11-24"
    text = letter.body_text
    assert "New: 2" in text
    assert "Resolved: 1" in text
    assert "Promises broken: 2" in text
    assert "Open now: 1" in text
    assert f"{first.reference}: open for 0 days" in text
    assert "350.50 RUB in 2 offers" in text
    assert first.status == Status.NEW


# --- the tasks ----------------------------------------------------------------------------------------------


def test_the_tasks_call_the_services(bob_on_duty: Any, manager_carol: Any) -> None:
    _submit()
    with time_machine.travel(T0 + 8 * H, tick=False):
        tasks.sla_sweep_task.delay()
        tasks.sla_guard_task.delay()
        tasks.sla_health_check_task.delay()
        tasks.sla_digest_task.delay()

    assert Heartbeat.objects.get(name="sla_sweep").beat_at == T0 + 8 * H
    assert Heartbeat.objects.filter(name="sla_guard").exists()
    assert SlaHealthCheck.objects.count() == 1
    assert len(_letters(LetterKind.DIGEST)) == 1
    assert SlaAlert.objects.filter(level="breach").exists()
