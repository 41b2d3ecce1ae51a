"""The demo and benchmark data commands: they must keep working as the models grow."""

from io import StringIO

import pytest
from django.core.management import call_command

from complaints.benchmarks.seeding import bench_seed
from complaints.models import Complaint, ComplaintEvent, ReferenceCounter, Status
from complaints.permissions import AGENTS_GROUP, MANAGERS_GROUP
from complaints.services import complaint_submit
from notifications.models import Letter
from tests.factories import staff_group


def _roles() -> None:
    """The groups the migration creates; an earlier transactional test's flush may have removed them."""
    staff_group(AGENTS_GROUP)
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
