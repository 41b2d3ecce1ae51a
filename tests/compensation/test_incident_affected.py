"""The affected set of an incident, computed in SQL: which purchases overlapped the outage, and for how long."""

from datetime import UTC, datetime
from typing import Any

import pytest

from compensation.incidents.affected import affected_refresh, pending_customer_ranges
from compensation.models import IncidentAffected
from tests.factories import CustomerFactory, ProductFactory, declare_incident, subscription, subscription_product

START = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
END = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)


def _at(day: int, hour: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def outage(lead_tess: Any) -> dict[str, Any]:
    hosting = subscription_product("hosting")
    mail = subscription_product("mail", name="Mail")
    kettle = ProductFactory(code="kettle", name="Kettle")
    two = CustomerFactory(email="two@example.com")
    rows = {
        "inside": subscription(product=hosting, service_start=_at(1), service_end=_at(1, month=4)),
        "second_of_two": subscription(product=hosting, service_start=_at(1), service_end=_at(1, month=4), customer=two),
        "first_of_two": subscription(product=mail, service_start=_at(5), service_end=_at(5, month=4), customer=two),
        "touching_before": subscription(product=hosting, service_start=_at(1, month=2), service_end=START),
        "touching_after": subscription(product=hosting, service_start=END, service_end=_at(10, month=4)),
        "starts_during": subscription(product=hosting, service_start=_at(10, 3), service_end=_at(10, 3, month=4)),
        "ends_during": subscription(product=hosting, service_start=_at(10, 2, month=2), service_end=_at(10, 2)),
        "open_ended": subscription(product=hosting, service_start=_at(1, month=1), service_end=None),
        "other_product": subscription(
            product=subscription_product("dns", name="DNS"), service_start=_at(1), service_end=_at(1, month=4)
        ),
        "goods": subscription(product=kettle, service_start=_at(1), service_end=_at(1, month=4)),
        "goods_without_period": subscription(product=kettle, service_start=None, service_end=None),
    }
    incident = declare_incident(actor=lead_tess, products=[hosting, mail, kettle], started_at=START, ended_at=END)
    return {"incident": incident, "purchases": rows, "two": two}


def _overlaps(incident: Any) -> dict[int, int]:
    return dict(IncidentAffected.objects.filter(incident=incident).values_list("purchase_id", "overlap_seconds"))


def test_only_purchases_whose_service_overlapped_the_window_are_affected(outage: dict[str, Any]) -> None:
    incident, p = outage["incident"], outage["purchases"]

    result = affected_refresh(incident=incident, start=START, end=END)

    assert result.inserted == 6
    assert _overlaps(incident) == {
        p["inside"].pk: 4 * 3600,
        p["second_of_two"].pk: 4 * 3600,
        p["first_of_two"].pk: 4 * 3600,
        p["starts_during"].pk: 2 * 3600,
        p["ends_during"].pk: 1 * 3600,
        p["open_ended"].pk: 4 * 3600,
    }
    assert IncidentAffected.objects.filter(incident=incident, customer=outage["two"]).count() == 2
    assert set(IncidentAffected.objects.filter(incident=incident).values_list("state", flat=True)) == {"pending"}


def test_computing_it_again_adds_nothing_twice(outage: dict[str, Any]) -> None:
    incident = outage["incident"]
    affected_refresh(incident=incident, start=START, end=END)

    again = affected_refresh(incident=incident, start=START, end=END)

    assert (again.inserted, again.changed) == (0, 0)
    assert IncidentAffected.objects.filter(incident=incident).count() == 6


def test_a_longer_window_recomputes_the_overlap_and_adds_the_newly_affected(outage: dict[str, Any]) -> None:
    incident, p = outage["incident"], outage["purchases"]
    affected_refresh(incident=incident, start=START, end=END)

    later = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
    result = affected_refresh(incident=incident, start=START, end=later)

    overlaps = _overlaps(incident)
    assert result.inserted == 1  # the purchase whose service began when the first window ended
    assert overlaps[p["touching_after"].pk] == 3600
    assert overlaps[p["inside"].pk] == 5 * 3600
    assert overlaps[p["ends_during"].pk] == 3600  # its service ended inside the first window
    assert result.changed == 5  # all but the one whose service had ended


def test_customers_are_cut_into_ranges_of_whole_customers(outage: dict[str, Any]) -> None:
    incident = outage["incident"]
    affected_refresh(incident=incident, start=START, end=END)

    ranges = pending_customer_ranges(incident_id=incident.pk, size=2)

    customers = sorted(set(IncidentAffected.objects.filter(incident=incident).values_list("customer_id", flat=True)))
    assert [count for _first, _last, count in ranges] == [2, 2, 1]
    assert ranges[0][:2] == (customers[0], customers[1])
    assert ranges[-1][:2] == (customers[4], customers[4])
