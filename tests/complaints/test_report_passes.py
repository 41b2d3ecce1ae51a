"""One pass for many groupings (GROUPING SETS on PostgreSQL) gives what a GROUP BY per grouping gives, medians
included, on random complaints."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, TruncWeek

from complaints.models import Category, Complaint, Priority, Status
from complaints.reports.passes import _group_by, _prefixed, grouped
from complaints.reports.stats import interpolated
from customers.models import Customer
from tests.factories import CustomerFactory

START = datetime(2026, 10, 1, tzinfo=UTC)


def _random_complaints(rng: random.Random, count: int) -> None:
    customers = [cast(Customer, CustomerFactory()) for _ in range(5)]
    Complaint.objects.bulk_create(
        Complaint(
            reference=f"RC-2026-{index:06d}",
            customer=rng.choice(customers),
            category=rng.choice(Category.values),
            priority=rng.choice(Priority.values),
            status=rng.choice(Status.values),
            description="It broke.",
            received_at=START + timedelta(minutes=rng.randrange(60 * 24 * 60)),
            rating=rng.choice([None, None, 1, 2, 3, 4, 5]),
            first_response_working_minutes=rng.choice([None, *range(0, 3000, 7)]),
            resolution_minutes=rng.choice([None, *range(0, 9000, 11)]),
        )
        for index in range(count)
    )


COLUMNS: dict[str, Any] = {
    "week": TruncWeek("received_at"),
    "category": "category",
    "priority": "priority",
    "first": "first_response_working_minutes",
    "resolution": "resolution_minutes",
}
SUMS: dict[str, Any] = {
    "open": Q(status__in=["new", "in_progress", "awaiting_customer"]),
    "rated": Q(rating__isnull=False),
    "rating_sum": Coalesce(F("rating"), Value(0)),
}
GROUPINGS = [(), ("week",), ("category", "priority"), ("priority",)]


def _keyed(rows: list[dict[str, Any]], grouping: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(row[name] for name in grouping): row for row in rows}


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_pass_equals_a_group_by_per_grouping(seed: int) -> None:
    _random_complaints(random.Random(seed), 300)
    spreads = ["first", "resolution"]

    one_pass = grouped(Complaint.objects.all(), columns=COLUMNS, sums=SUMS, groupings=GROUPINGS, spreads=spreads)
    rows = _prefixed(Complaint.objects.all(), COLUMNS, SUMS)
    for grouping in GROUPINGS:
        direct = _group_by(rows, grouping, list(SUMS), spreads)
        found, expected = _keyed(one_pass[grouping], grouping), _keyed(direct, grouping)
        assert found.keys() == expected.keys()
        for key, row in expected.items():
            assert {name: found[key][name] for name in ("n", *SUMS)} == {name: row[name] for name in ("n", *SUMS)}
            for name in spreads:
                assert found[key][name][0] == row[name][0]
                assert found[key][name][1] == pytest.approx(row[name][1])


@pytest.mark.django_db
def test_medians_are_those_of_the_values_themselves() -> None:
    _random_complaints(random.Random(7), 120)

    result = grouped(Complaint.objects.all(), columns=COLUMNS, groupings=[("priority",)], spreads=["first"])

    for row in result[("priority",)]:
        values = [
            float(v or 0)
            for v in Complaint.objects.filter(
                priority=row["priority"], first_response_working_minutes__isnull=False
            ).values_list("first_response_working_minutes", flat=True)
        ]
        assert row["first"][0] == len(values)
        assert row["first"][1] == pytest.approx([interpolated(values, 0.5), interpolated(values, 0.9)])


@pytest.mark.django_db
def test_the_whole_grouping_has_its_row_when_there_are_no_rows() -> None:
    result = grouped(Complaint.objects.none(), columns=COLUMNS, sums=SUMS, groupings=[()], spreads=["first"])

    assert result[()] == [{"n": 0, "open": 0, "rated": 0, "rating_sum": 0, "first": (0, [None, None])}]


def test_an_unknown_column_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown column"):
        grouped(Complaint.objects.none(), columns=COLUMNS, groupings=[("team",)])
