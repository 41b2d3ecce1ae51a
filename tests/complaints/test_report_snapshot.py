"""On PostgreSQL a report runs its independent passes side by side, each on its own connection reading the
report's one snapshot: the figures are those of the same passes run one after another."""

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from complaints.models import Complaint, Outcome, RootCause, Status
from complaints.reports.base import Period
from complaints.reports.registry import REPORTS, report_build
from complaints.reports.snapshot import report_transaction, side_by_side
from customers.models import Customer, Product
from tests.factories import CustomerFactory, ProductFactory, PurchaseFactory, UserFactory, fulfilled_voucher

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
PERIOD = Period(date(2026, 9, 1), date(2026, 11, 30), "month")


def _history() -> None:
    product = cast(Product, ProductFactory(code="kettle"))
    agent = cast(User, UserFactory(username="bob"))
    for index in range(40):
        received = datetime(2026, 9, 1, tzinfo=UTC) + timedelta(days=index * 2, hours=index % 7)
        decided = received + timedelta(hours=5 + index % 30) if index % 4 else None
        complaint = Complaint.objects.create(
            reference=f"RC-2026-{index + 1:06d}",
            customer=cast(Customer, CustomerFactory()),
            category="defect",
            description="It broke.",
            product=product,
            assignee=agent,
            status=Status.CLOSED if decided else Status.IN_PROGRESS,
            received_at=received,
            acknowledged_at=received + timedelta(minutes=3),
            acknowledgement_due=received + timedelta(minutes=15),
            first_responded_at=received + timedelta(hours=index % 9),
            first_response_due=received + timedelta(hours=4),
            resolution_due=received + timedelta(hours=24),
            decided_at=decided,
            outcome=Outcome.MONETARY if decided and index % 3 else (Outcome.EXPLAINED if decided else ""),
            root_cause=RootCause.PRODUCT_DEFECT if decided else "",
            rating=1 + index % 5 if decided else None,
            acknowledgement_minutes=3,
            acknowledgement_working_minutes=3,
            first_response_minutes=60 * (index % 9),
            first_response_working_minutes=45 * (index % 9),
            resolution_minutes=60 * (5 + index % 30) if decided else None,
            resolution_working_minutes=40 * (5 + index % 30) if decided else None,
        )
        if decided and index % 3:
            fulfilled_voucher(complaint, decided_at=decided)
            PurchaseFactory(customer=complaint.customer, purchased_on=(decided + timedelta(days=20)).date())


def _figures(slug: str) -> tuple[Any, ...]:
    report = report_build(slug=slug, period=PERIOD, now=NOW)
    return (
        [(figure.key, figure.value) for figure in report.figures],
        [(table.key, table.rows) for table in report.tables],
    )


@pytest.mark.django_db(transaction=True)
def test_every_report_side_by_side_equals_one_pass_after_another() -> None:
    _history()

    with override_settings(REPORTS_PARALLEL=False):
        serial = {slug: _figures(slug) for slug in REPORTS}
    with override_settings(REPORTS_PARALLEL=True):
        parallel = {slug: _figures(slug) for slug in REPORTS}

    assert parallel == serial
    assert dict(serial["times"][0])["resolved"] == 30


@pytest.mark.django_db(transaction=True)
def test_the_passes_run_on_their_own_threads_and_a_failure_reaches_the_caller() -> None:
    seen: list[int] = []

    def where() -> int:
        seen.append(threading.get_ident())
        return Complaint.objects.count()

    def fails() -> int:
        raise ValueError("a pass failed")

    with report_transaction():
        assert side_by_side([where, where, where]) == [0, 0, 0]
        with pytest.raises(ValueError, match="a pass failed"):
            side_by_side([where, fails])

    assert len(set(seen)) >= 3


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_passes_run_one_after_another() -> None:
    seen: list[int] = []

    def where() -> int:
        seen.append(threading.get_ident())
        return 1

    with report_transaction():
        assert side_by_side([where, where]) == [1, 1]

    assert set(seen) == {threading.get_ident()}
