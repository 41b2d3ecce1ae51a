"""The demo and benchmark data commands: they must keep working as the models grow."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from complaints.benchmarks.seeding import bench_seed
from complaints.models import AgentDuty, Complaint, ComplaintEvent, ReferenceCounter, Status, Team, TeamMember
from complaints.permissions import AGENTS_GROUP, MANAGERS_GROUP, TEAM_LEADS_GROUP
from complaints.services import complaint_submit
from notifications.models import Letter
from tests.factories import staff_group


def _roles() -> None:
    """The groups the migration creates; an earlier transactional test's flush may have removed them."""
    staff_group(AGENTS_GROUP)
    staff_group(TEAM_LEADS_GROUP)
    staff_group(MANAGERS_GROUP)


@pytest.mark.django_db(transaction=True)  # the seeder commits batch by batch, as on a real database
def test_bench_seed_writes_complete_rows_and_keeps_references_unique() -> None:
    _roles()
    result = bench_seed(complaints=400, batch=150, log=lambda line: None, seed=7)

    assert result.complaints == Complaint.objects.count() == 400
    assert ComplaintEvent.objects.count() == result.events >= 400
    assert set(Complaint.objects.values_list("status", flat=True)) == set(Status.values)
    references = list(Complaint.objects.values_list("reference", flat=True))
    assert len(set(references)) == len(references)
    # The counter moved past the seeded numbers: the next real complaint does not collide.
    fresh = complaint_submit(name="Ann", email="ann@example.com", category="other", description="After seeding.")
    assert fresh.reference not in references
    assert ReferenceCounter.objects.exists()


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_logins() -> None:
    _roles()
    first, second = StringIO(), StringIO()

    call_command("seed_demo", stdout=first)
    counts = (Complaint.objects.count(), ComplaintEvent.objects.count(), Letter.objects.count())
    call_command("seed_demo", stdout=second)

    assert counts[0] >= 12
    assert set(Complaint.objects.values_list("status", flat=True)) == set(Status.values)
    assert (Complaint.objects.count(), ComplaintEvent.objects.count(), Letter.objects.count()) == counts
    for output in (first.getvalue(), second.getvalue()):
        assert "agent / agent-demo-2026" in output
        assert "manager / manager-demo-2026" in output
    assert "nothing new was created" in second.getvalue()


@pytest.mark.django_db
def test_seed_demo_sets_up_two_teams_a_lead_and_the_agent_on_duty() -> None:
    _roles()
    first, second = StringIO(), StringIO()

    call_command("seed_demo", stdout=first)
    rows = (Team.objects.count(), TeamMember.objects.count(), AgentDuty.objects.count())
    call_command("seed_demo", stdout=second)

    assert (Team.objects.count(), TeamMember.objects.count(), AgentDuty.objects.count()) == rows
    hosting, shop = Team.objects.order_by("name")
    assert (hosting.name, shop.name) == ("Hosting", "Shop")
    assert shop.is_default
    assert not hosting.is_default
    assert set(hosting.products.values_list("kind", flat=True)) == {"subscription"}
    assert set(shop.products.values_list("kind", flat=True)) == {"goods"}
    for team in (hosting, shop):
        assert set(team.memberships.values_list("user__username", "is_lead")) == {("agent", False), ("lead", True)}
    assert AgentDuty.objects.get(user__username="agent").on_duty is True
    assert TeamMember.objects.filter(user__username="lead", user__groups__name=TEAM_LEADS_GROUP).count() == 2
    # Every demo complaint has its team; the new ones went to the agent on duty automatically.
    assert not Complaint.objects.filter(team__isnull=True).exists()
    assert Complaint.objects.filter(status=Status.NEW, assignee__username="agent").exists()
    for output in (first.getvalue(), second.getvalue()):
        assert "lead / lead-demo-2026" in output


@pytest.mark.django_db
def test_seed_demo_shows_an_outage_apologised_for_and_an_offer_awaiting_approval(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from compensation.models import CompensationOffer, Incident, IncidentCredit, OfferStatus
    from notifications.models import LetterKind

    _roles()
    with django_capture_on_commit_callbacks(execute=True):  # the worker's part, run inline
        call_command("seed_demo", stdout=StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())

    [incident] = Incident.objects.all()
    credited = IncidentCredit.objects.filter(incident=incident, amount__gt=0)
    assert sorted(credited.values_list("purchase__order_number", flat=True)) == ["HST-PRO-000052", "HST-PRO-000061"]
    apologies = Letter.objects.filter(kind=LetterKind.INCIDENT_APOLOGY)
    assert sorted(apologies.values_list("recipient", flat=True)) == [
        "james.wright@brightleaf.example.com",
        "olga.smirnova@example.ru",
    ]
    [offer] = CompensationOffer.objects.filter(status=OfferStatus.PENDING_APPROVAL)
    assert offer.complaint.customer.email == "ivan.petrov@example.ru"
    assert offer.created_by is not None
    assert offer.created_by.username == "agent"
