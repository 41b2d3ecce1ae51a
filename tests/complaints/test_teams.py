"""Teams: routing a new complaint to its team, automatic assignment to the least loaded agent on duty, the duty
rota and who may change it, moving a complaint to another team, and sharing out a team's unassigned queue."""

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from complaints.models import AgentDuty, Complaint, ComplaintEvent, Status, Team, TeamMember
from complaints.selectors import team_workload
from complaints.services import (
    agent_duty_set,
    complaint_assign,
    complaint_auto_assign,
    complaint_change_team,
    complaint_transition,
    team_distribute_unassigned,
)
from complaints.services import teams as teams_services
from complaints.transitions import Action
from config.exceptions import ApplicationError, PermissionRefused
from customers.models import Product
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    PurchaseFactory,
    agent,
    submit_complaint,
)

_emails = iter(range(1_000_000))


def _team(
    name: str,
    *,
    products: Iterable[Any] = (),
    default: bool = False,
    members: Iterable[Any] = (),
    leads: Iterable[Any] = (),
) -> Team:
    """A team as a manager sets it up in the admin."""
    team = Team.objects.create(name=name, is_default=default)
    team.products.add(*products)
    for user in members:
        TeamMember.objects.create(team=team, user=user)
    for user in leads:
        TeamMember.objects.create(team=team, user=user, is_lead=True)
    return team


def _on_duty(*users: Any) -> None:
    for user in users:
        agent_duty_set(user=user, on_duty=True, actor=user)


def _submit(**overrides: Any) -> Complaint:
    """A complaint from a new customer each time (one customer's history does not matter here)."""
    return submit_complaint(email=f"customer{next(_emails)}@example.com", **overrides)


def _resolve(complaint: Complaint, actor: Any) -> None:
    complaint_transition(complaint=complaint, action=Action.START, actor=actor)
    complaint_transition(
        complaint=complaint,
        action=Action.RESOLVE,
        actor=actor,
        comment="Replaced.",
        outcome="non_monetary",
        root_cause="product_defect",
        corrective_action="Checked the batch.",
    )


def _auto_events(complaint: Complaint) -> list[ComplaintEvent]:
    return list(complaint.events.filter(kind=ComplaintEvent.Kind.ASSIGNED, data__auto=True))


# --- routing ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_complaint_goes_to_the_team_of_its_product() -> None:
    kettle, hosting = ProductFactory(code="kettle"), ProductFactory(code="hosting")
    shop = _team("Shop", products=[kettle], default=True)
    web = _team("Web", products=[hosting])

    assert _submit(product_code="hosting").team == web
    assert _submit(product_code="kettle").team == shop


@pytest.mark.django_db
def test_a_product_in_two_teams_goes_to_the_first_by_name() -> None:
    router = ProductFactory(code="router")
    _team("Networks", products=[router])
    first = _team("Hardware", products=[router])

    assert _submit(product_code="router").team == first


@pytest.mark.django_db
def test_without_a_matching_team_the_default_team_takes_it_and_without_one_nobody() -> None:
    ProductFactory(code="kettle")
    _team("Web", products=[ProductFactory(code="hosting")])

    no_default = _submit(product_code="kettle")
    default = _team("Shop", default=True)

    assert no_default.team is None
    assert no_default.assignee is None
    assert _submit(product_code="kettle").team == default
    assert _submit().team == default  # no product at all


@pytest.mark.django_db
def test_the_purchase_found_by_order_number_routes_an_api_submission() -> None:
    hosting = ProductFactory(code="hosting", kind=Product.Kind.SUBSCRIPTION)
    customer = CustomerFactory(email="james@example.com")
    PurchaseFactory(customer=customer, product=hosting, order_number="HST-1")
    anna = agent("anna")
    web = _team("Web", products=[hosting], members=[anna])
    _on_duty(anna)

    response = APIClient().post(
        "/api/v1/complaints/",
        {
            "name": "James",
            "email": "james@example.com",
            "category": "service_outage",
            "description": "The site was down all night.",
            "order_number": "HST-1",
        },
        format="json",
    )

    assert response.status_code == 201
    complaint = Complaint.objects.get()
    assert complaint.team == web
    assert complaint.assignee == anna


# --- automatic assignment ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_least_loaded_agent_on_duty_gets_the_new_complaint() -> None:
    anna, boris, vera = agent("anna"), agent("boris"), agent("vera")
    _team("Shop", default=True, members=[anna, boris, vera])
    _on_duty(anna, boris)  # vera is off duty, with nothing on her plate
    Team.objects.update(is_default=False)  # the load below is built outside the team
    for _ in range(2):
        complaint_assign(complaint=_submit(), assignee=anna, actor=anna)
    complaint_assign(complaint=_submit(), assignee=boris, actor=boris)
    for _ in range(3):  # resolved complaints are no load
        done = _submit()
        complaint_assign(complaint=done, assignee=boris, actor=boris)
        _resolve(done, boris)
    Team.objects.update(is_default=True)

    complaint = _submit()

    assert complaint.assignee == boris
    complaint.refresh_from_db()
    assert complaint.assignee == boris
    [event] = _auto_events(complaint)
    assert event.author is None
    assert event.data == {"auto": True, "from": "", "to": "boris", "from_name": "", "to_name": boris.get_full_name()}
    duty = AgentDuty.objects.get(user=boris)
    assert duty.last_assigned_at == event.created_at


@pytest.mark.django_db
def test_ties_go_to_whoever_waited_longest_and_never_assigned_comes_first() -> None:
    anna, boris, vera = agent("anna"), agent("boris"), agent("vera")
    team = _team("Shop", default=True, members=[anna, boris, vera])
    _on_duty(anna, boris)

    first = _submit()  # both never assigned: the lower id
    second = _submit()  # anna has one open now
    assert (first.assignee, second.assignee) == (anna, boris)

    _resolve(first, anna)
    _resolve(second, boris)
    assert _submit().assignee == anna  # both free again: anna waited longer

    _on_duty(vera)
    assert _submit().assignee == vera  # boris and vera are free; vera was never given one
    assert _submit().assignee == boris
    assert Complaint.objects.filter(team=team, assignee__isnull=True).count() == 0


@pytest.mark.django_db
def test_off_duty_inactive_and_not_permitted_members_are_skipped() -> None:
    anna, boris, vera, gleb = agent("anna"), agent("boris"), agent("vera"), agent("gleb")
    _team("Shop", default=True, members=[anna, boris, vera, gleb])
    _on_duty(anna, boris, vera, gleb)
    agent_duty_set(user=anna, on_duty=False, actor=anna)
    boris.groups.clear()  # no longer in support, still marked on duty
    vera.is_active = False
    vera.save(update_fields=["is_active"])

    assert [_submit().assignee for _ in range(2)] == [gleb, gleb]


@pytest.mark.django_db
def test_with_nobody_on_duty_the_complaint_waits_in_the_team_queue() -> None:
    anna = agent("anna")
    shop = _team("Shop", default=True, members=[anna])

    complaint = _submit()

    complaint.refresh_from_db()
    assert complaint.team == shop
    assert complaint.assignee is None
    assert complaint.status == Status.NEW
    assert _auto_events(complaint) == []


@pytest.mark.django_db
def test_auto_assignment_leaves_assigned_and_closed_complaints_alone(agent_bob: Any) -> None:
    anna = agent("anna")
    _team("Shop", default=True, members=[anna])
    mine = _submit()
    complaint_assign(complaint=mine, assignee=agent_bob, actor=agent_bob)
    declined = _submit()
    complaint_transition(
        complaint=declined, action=Action.REJECT, actor=agent_bob, comment="Not ours.", root_cause="no_fault"
    )
    _on_duty(anna)

    assert complaint_auto_assign(complaint=mine.pk, now=mine.received_at) is None
    assert complaint_auto_assign(complaint=declined.pk, now=declined.received_at) is None
    mine.refresh_from_db()
    declined.refresh_from_db()
    assert (mine.assignee, declined.assignee) == (agent_bob, None)


@pytest.mark.django_db
def test_an_agent_may_still_assign_the_complaint_to_anyone_who_handles_complaints(agent_bob: Any) -> None:
    anna = agent("anna")
    _team("Shop", default=True, members=[anna])
    _on_duty(anna)
    complaint = _submit()
    assert complaint.assignee == anna

    complaint_assign(complaint=complaint, assignee=agent_bob, actor=anna)  # bob is in no team

    complaint.refresh_from_db()
    assert complaint.assignee == agent_bob


# --- two submissions at the same moment -------------------------------------------------------------------


def _slow_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the window between reading the loads and writing the choice, so an unlocked race would show."""
    original = teams_services._candidates

    def slow(team: Team) -> Any:
        found = original(team)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(teams_services, "_candidates", slow)


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_go_to_different_agents(monkeypatch: pytest.MonkeyPatch) -> None:
    anna, boris = agent("anna"), agent("boris")
    _team("Shop", default=True, members=[anna, boris])
    _on_duty(anna, boris)
    _slow_choice(monkeypatch)

    first, second = _at_once(
        lambda: _submit(description="The kettle leaks."), lambda: _submit(description="The lid is broken.")
    )

    assignees = set(Complaint.objects.filter(pk__in=[first.pk, second.pk]).values_list("assignee__username", flat=True))
    assert assignees == {"anna", "boris"}


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_automatic_assignments_pick_different_agents(monkeypatch: pytest.MonkeyPatch) -> None:
    anna, boris = agent("anna"), agent("boris")
    _team("Shop", default=True, members=[anna, boris])
    waiting = [_submit(), _submit()]  # nobody on duty yet
    _on_duty(anna, boris)
    _slow_choice(monkeypatch)

    chosen = _at_once(*[lambda c=c: complaint_auto_assign(complaint=c.pk, now=c.received_at) for c in waiting])

    assert {user.username for user in chosen} == {"anna", "boris"}
    assert Complaint.objects.filter(assignee__isnull=True).count() == 0


# --- the duty rota ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_agent_switches_their_own_duty_and_the_time_is_recorded(agent_bob: Any) -> None:
    on = agent_duty_set(user=agent_bob, on_duty=True, actor=agent_bob)
    switched_on_at = on.changed_at
    again = agent_duty_set(user=agent_bob, on_duty=True, actor=agent_bob)
    off = agent_duty_set(user=agent_bob, on_duty=False, actor=agent_bob)

    assert on.on_duty is True
    assert again.changed_at == switched_on_at  # nothing changed, nothing recorded
    assert off.on_duty is False
    assert off.changed_at > switched_on_at


@pytest.mark.django_db
def test_an_agent_cannot_switch_someone_else(agent_bob: Any) -> None:
    anna = agent("anna")
    _team("Shop", members=[anna, agent_bob])

    with pytest.raises(PermissionRefused):
        agent_duty_set(user=anna, on_duty=True, actor=agent_bob)
    assert not AgentDuty.objects.filter(user=anna).exists()


@pytest.mark.django_db
def test_a_team_lead_switches_the_members_of_teams_they_lead_only(lead_tess: Any) -> None:
    anna, boris, vera = agent("anna"), agent("boris"), agent("vera")
    _team("Shop", members=[anna], leads=[lead_tess])
    _team("Web", members=[boris, lead_tess])  # tess is a plain member here
    _team("Field", members=[vera])

    assert agent_duty_set(user=anna, on_duty=True, actor=lead_tess).on_duty is True
    for other in (boris, vera):
        with pytest.raises(PermissionRefused):
            agent_duty_set(user=other, on_duty=True, actor=lead_tess)


@pytest.mark.django_db
def test_a_lead_flag_without_the_team_lead_role_is_not_enough(agent_bob: Any) -> None:
    anna = agent("anna")
    _team("Shop", members=[anna], leads=[agent_bob])

    with pytest.raises(PermissionRefused):
        agent_duty_set(user=anna, on_duty=True, actor=agent_bob)


@pytest.mark.django_db
def test_a_manager_switches_anyone(manager_carol: Any) -> None:
    anna = agent("anna")

    assert agent_duty_set(user=anna, on_duty=True, actor=manager_carol).on_duty is True
    assert agent_duty_set(user=anna.pk, on_duty=False, actor=manager_carol).on_duty is False


@pytest.mark.django_db
def test_only_people_who_handle_complaints_go_on_duty(manager_carol: Any, outsider_dave: Any) -> None:
    with pytest.raises(PermissionRefused):
        agent_duty_set(user=outsider_dave, on_duty=True, actor=outsider_dave)
    with pytest.raises(ApplicationError, match="cannot handle complaints"):
        agent_duty_set(user=outsider_dave, on_duty=True, actor=manager_carol)
    with pytest.raises(ApplicationError, match="no such staff member"):
        agent_duty_set(user=999_999, on_duty=True, actor=manager_carol)


# --- moving a complaint to another team -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_team_change_is_recorded_with_its_reason(agent_bob: Any) -> None:
    shop = _team("Shop", default=True)
    web = _team("Web")
    complaint = _submit()
    assert complaint.team == shop

    complaint_change_team(complaint=complaint.pk, team_id=web.pk, actor=agent_bob, reason="  It is about hosting. ")
    complaint_change_team(complaint=complaint.pk, team_id=web.pk, actor=agent_bob, reason="Again.")  # no change
    complaint_change_team(complaint=complaint.pk, team_id=None, actor=agent_bob, reason="Nobody's, for now.")

    assert Complaint.objects.get(pk=complaint.pk).team_id is None
    moved, cleared = complaint.events.filter(kind=ComplaintEvent.Kind.FIELD_CHANGED)
    assert moved.data == {"field": "team", "from": "Shop", "to": "Web"}
    assert (moved.body, moved.author, moved.is_public) == ("It is about hosting.", agent_bob, False)
    assert moved.field_change == ("team", "Shop", "Web")
    assert cleared.field_change == ("team", "Web", "—")


@pytest.mark.django_db
def test_a_team_change_needs_a_reason_a_real_team_and_a_handler(agent_bob: Any, outsider_dave: Any) -> None:
    web = _team("Web")
    complaint = _submit()

    with pytest.raises(ApplicationError, match="reason"):
        complaint_change_team(complaint=complaint.pk, team_id=web.pk, actor=agent_bob, reason="  ")
    with pytest.raises(ApplicationError, match="no such team"):
        complaint_change_team(complaint=complaint.pk, team_id=web.pk + 100, actor=agent_bob, reason="Hosting.")
    with pytest.raises(PermissionRefused):
        complaint_change_team(complaint=complaint.pk, team_id=web.pk, actor=outsider_dave, reason="Hosting.")
    complaint.refresh_from_db()
    assert complaint.team is None
    assert not complaint.events.filter(kind=ComplaintEvent.Kind.FIELD_CHANGED).exists()


@pytest.mark.django_db
def test_a_complaint_moved_to_another_team_is_handed_over_to_its_agent_on_duty(agent_bob: Any) -> None:
    anna, boris, vera = agent("anna"), agent("boris"), agent("vera")
    _team("Shop", default=True, members=[anna, vera])
    web = _team("Web", members=[boris, vera])
    _on_duty(anna, boris)
    handed_over = _submit()
    assert handed_over.assignee == anna
    kept = _submit(description="The lid is broken.")
    complaint_assign(complaint=kept, assignee=vera, actor=vera)  # vera is in both teams

    complaint_change_team(complaint=handed_over.pk, team_id=web.pk, actor=agent_bob, reason="Hosting.")
    complaint_change_team(complaint=kept.pk, team_id=web.pk, actor=agent_bob, reason="Hosting.")

    handed_over.refresh_from_db()
    kept.refresh_from_db()
    assert handed_over.assignee == boris
    assert _auto_events(handed_over)[-1].data["from"] == "anna"
    assert kept.assignee == vera


@pytest.mark.django_db
def test_with_nobody_on_duty_in_the_new_team_the_complaint_waits_unassigned(agent_bob: Any) -> None:
    anna = agent("anna")
    _team("Shop", default=True, members=[anna])
    web = _team("Web")
    _on_duty(anna)
    complaint = _submit()

    complaint_change_team(complaint=complaint.pk, team_id=web.pk, actor=agent_bob, reason="Hosting.")

    complaint.refresh_from_db()
    assert (complaint.team, complaint.assignee) == (web, None)
    assert _auto_events(complaint)[-1].data["to"] == ""


# --- sharing out the unassigned ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_lead_shares_out_the_unassigned_complaints_least_loaded_first(lead_tess: Any) -> None:
    anna, boris = agent("anna"), agent("boris")
    shop = _team("Shop", default=True, members=[anna, boris], leads=[lead_tess])
    waiting = [_submit(description=f"Complaint {i}.") for i in range(5)]  # nobody on duty yet
    complaint_assign(complaint=waiting[0], assignee=anna, actor=anna)  # anna already has one
    _on_duty(anna, boris)

    result = team_distribute_unassigned(team=shop, actor=lead_tess)

    assert (result.assigned, result.still_unassigned) == (4, 0)
    assert result.per_agent == {anna.get_full_name(): 2, boris.get_full_name(): 2}
    assignees = dict(Complaint.objects.values_list("pk", "assignee__username"))
    # The oldest due first: boris (no load) takes the first, then they alternate.
    assert [assignees[c.pk] for c in waiting[1:]] == ["boris", "anna", "boris", "anna"]
    event = _auto_events(waiting[1])[-1]
    assert event.author == lead_tess


@pytest.mark.django_db
def test_sharing_out_respects_the_limit_and_needs_someone_on_duty(manager_carol: Any) -> None:
    anna = agent("anna")
    shop = _team("Shop", default=True, members=[anna])
    for i in range(3):
        _submit(description=f"Complaint {i}.")

    nobody = team_distribute_unassigned(team=shop.pk, actor=manager_carol)
    _on_duty(anna)
    some = team_distribute_unassigned(team=shop.pk, actor=manager_carol, limit=2)

    assert (nobody.assigned, nobody.still_unassigned) == (0, 3)
    assert (some.assigned, some.still_unassigned) == (2, 1)


@pytest.mark.django_db
def test_only_the_teams_lead_or_a_manager_shares_out(agent_bob: Any, lead_tess: Any) -> None:
    shop = _team("Shop", default=True, members=[agent_bob])
    _team("Web", leads=[lead_tess])
    _submit()
    _on_duty(agent_bob)  # after the submission: it waits unassigned

    for actor in (agent_bob, lead_tess):
        with pytest.raises(PermissionRefused):
            team_distribute_unassigned(team=shop, actor=actor)
    with pytest.raises(ApplicationError, match="no such team"):
        team_distribute_unassigned(team=shop.pk + 100, actor=lead_tess)
    assert Complaint.objects.filter(assignee__isnull=True).count() == 1


@pytest.mark.django_db
def test_the_workload_is_for_team_leads_and_managers_only(agent_bob: Any, lead_tess: Any, manager_carol: Any) -> None:
    _team("Shop", members=[agent_bob], leads=[lead_tess])
    _team("Web", members=[agent_bob])

    with pytest.raises(PermissionRefused):
        team_workload(user=agent_bob)
    assert [item.team.name for item in team_workload(user=lead_tess)] == ["Shop"]
    assert [item.team.name for item in team_workload(user=manager_carol)] == ["Shop", "Web"]
