"""The credit a subscriber is owed for an outage: only their own overlap with the period they paid for."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest

from compensation.policy import remedy_for_outage
from customers.models import Product, Purchase
from tests.factories import ProductFactory, PurchaseFactory

pytestmark = pytest.mark.django_db

NOV = datetime(2026, 11, 1, tzinfo=UTC)


def _subscription(**overrides: Any) -> Purchase:
    product = ProductFactory(kind=Product.Kind.SUBSCRIPTION, price=Decimal("600.00"), warranty_days=0)
    fields = {
        "product": product,
        "amount": Decimal("600.00"),
        "service_start": NOV,
        "service_end": NOV + timedelta(days=30),
    }
    return cast(Purchase, PurchaseFactory(**(fields | overrides)))


def test_four_hour_outage_within_the_period():
    remedy = remedy_for_outage(
        purchase=_subscription(),
        downtime_start=NOV + timedelta(days=3),
        downtime_end=NOV + timedelta(days=3, hours=4),
        now=NOV + timedelta(days=5),
    )
    assert remedy is not None
    assert (remedy.kind, remedy.amount, remedy.currency) == ("service_credit", Decimal("3.33"), "RUB")
    assert remedy.basis["rule"] == "Subscriptions: pro-rata credit for the downtime"


def test_only_the_customers_own_overlap_counts():
    # The outage started two days before this customer's period did: only the 4 hours inside it count.
    purchase = _subscription(service_start=NOV + timedelta(days=2), service_end=NOV + timedelta(days=32))
    remedy = remedy_for_outage(
        purchase=purchase,
        downtime_start=NOV,
        downtime_end=NOV + timedelta(days=2, hours=4),
        now=NOV + timedelta(days=9),
    )
    assert remedy is not None
    assert remedy.amount == Decimal("3.33")
    assert remedy.basis["counted_downtime_seconds"] == "14400"


def test_an_ongoing_outage_counts_until_now():
    remedy = remedy_for_outage(
        purchase=_subscription(), downtime_start=NOV + timedelta(days=1), downtime_end=None, now=NOV + timedelta(days=8)
    )
    assert remedy is not None
    assert remedy.amount == Decimal("140.00")  # 7 of 30 days of 600
    assert remedy.basis["outage_end"] is None


def test_no_remedy_outside_the_period_or_for_goods():
    assert (
        remedy_for_outage(
            purchase=_subscription(),
            downtime_start=NOV - timedelta(days=3),
            downtime_end=NOV - timedelta(days=2),
            now=NOV,
        )
        is None
    )
    goods = cast(Purchase, PurchaseFactory(service_start=NOV, service_end=NOV + timedelta(days=30)))
    assert remedy_for_outage(purchase=goods, downtime_start=NOV, downtime_end=NOV + timedelta(hours=4), now=NOV) is None
    no_period = _subscription(service_start=None, service_end=None)
    assert (
        remedy_for_outage(purchase=no_period, downtime_start=NOV, downtime_end=None, now=NOV + timedelta(hours=1))
        is None
    )


def test_a_rule_looked_up_once_can_be_passed_in(django_assert_num_queries):
    from compensation.models import CompensationRule, RemedyType

    purchase = _subscription()
    doubled = CompensationRule.objects.create(
        name="double", product_kind="subscription", remedy_type=RemedyType.SERVICE_CREDIT, multiplier=Decimal(2)
    )
    with django_assert_num_queries(0):
        remedy = remedy_for_outage(
            purchase=purchase,
            downtime_start=NOV + timedelta(days=3),
            downtime_end=NOV + timedelta(days=3, hours=4),
            now=NOV + timedelta(days=5),
            rule=doubled,
        )
    assert remedy is not None
    assert (remedy.amount, remedy.basis["rule"]) == (Decimal("6.67"), "double")
