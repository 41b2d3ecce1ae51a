"""The admin-editable policy: which rule applies (the most specific wins), its validation, and what it
suggests for a complaint (an outage from the form or an incident, goods by their purchase date)."""

from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from compensation.models import CompensationRule, Incident, RemedyType
from compensation.policy import remedy_for_outage
from compensation.selectors import compensation_rule_for
from compensation.services import offer_suggest
from complaints.models import Category, Priority
from complaints.services import complaint_change_priority, complaint_set_incident
from customers.models import Product
from tests.factories import CustomerFactory, ProductFactory, PurchaseFactory, submit_complaint, subscription_purchase

pytestmark = pytest.mark.django_db


def _rule(name: str, **fields: Any) -> CompensationRule:
    values: dict[str, Any] = {"product_kind": "subscription", "remedy_type": RemedyType.SERVICE_CREDIT}
    return CompensationRule.objects.create(name=name, **(values | fields))


def test_the_most_specific_rule_wins():
    product = cast(Product, ProductFactory(kind=Product.Kind.SUBSCRIPTION))
    other = cast(Product, ProductFactory(kind=Product.Kind.SUBSCRIPTION))
    _rule("priority", priority="high")
    _rule("category", category="billing")
    _rule("category and priority", category="billing", priority="high")
    _rule("product", product=product)
    _rule("switched off", product=other, is_active=False)

    def pick(product_id, category, priority):
        return compensation_rule_for(
            product_kind="subscription", product_id=product_id, category=category, priority=priority
        ).name

    assert pick(product.pk, "billing", "high") == "product"
    assert pick(other.pk, "billing", "high") == "category and priority"
    assert pick(other.pk, "billing", "low") == "category"
    assert pick(None, "delivery", "high") == "priority"
    assert pick(other.pk, "delivery", "low") == "Subscriptions: pro-rata credit for the downtime"
    assert pick(None, "service_outage", "urgent").startswith("Urgent outages: availability tiers")


def test_without_any_rule_a_built_in_default_applies():
    CompensationRule.objects.update(is_active=False)
    rule = compensation_rule_for(product_kind="goods", product_id=None, category="defect", priority="normal")
    assert rule.name.startswith("Built-in")
    assert rule.remedy_type == RemedyType.GOODS


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"remedy_type": RemedyType.SERVICE_CREDIT_TIERS, "tiers": []}, "tiers"),
        (
            {
                "remedy_type": RemedyType.SERVICE_CREDIT_TIERS,
                "tiers": [{"below_availability": "101", "credit_share": "5"}],
            },
            "tiers",
        ),
        ({"remedy_type": RemedyType.SERVICE_CREDIT_TIERS, "tiers": [{"credit_share": "5"}]}, "tiers"),
        ({"remedy_type": RemedyType.SERVICE_CREDIT_TIERS, "tiers": "99.9:10"}, "tiers"),
        ({"remedy_type": RemedyType.FREE_PERIOD}, "free_days"),
        ({"remedy_type": RemedyType.VOUCHER_FIXED}, "voucher_amount"),
        ({"remedy_type": RemedyType.VOUCHER_PERCENT}, "voucher_percent"),
        ({"remedy_type": RemedyType.GOODS}, "remedy_type"),
        ({"remedy_type": RemedyType.SERVICE_CREDIT, "product_kind": "goods"}, "remedy_type"),
    ],
)
def test_a_malformed_rule_is_refused_with_the_field_named(fields, field):
    rule = CompensationRule(name="x", **({"product_kind": "subscription"} | fields))
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert field in refused.value.message_dict


def test_tiers_from_the_admin_are_used_for_an_urgent_outage():
    purchase = subscription_purchase(fee=Decimal("600.00"))
    assert purchase.service_start is not None
    start = purchase.service_start + timedelta(days=1)
    remedy = remedy_for_outage(
        purchase=purchase,
        downtime_start=start,
        downtime_end=start + timedelta(hours=4),
        now=start + timedelta(days=1),
        priority="urgent",
    )
    assert remedy is not None
    # 4 h of 30 days is 99.44 % available: below 99.9 %, so 10 % of the fee beats pro-rata 3.33.
    assert remedy.amount == Decimal("60.00")
    assert remedy.basis["tier_applied"] == {"below_availability": "99.9", "credit_share": "10"}


def test_a_free_period_rule_for_one_product():
    purchase = subscription_purchase(fee=Decimal("900.00"))
    _rule("a week free", product=purchase.product, remedy_type=RemedyType.FREE_PERIOD, free_days=7)
    assert purchase.service_start is not None
    start = purchase.service_start + timedelta(days=1)
    remedy = remedy_for_outage(
        purchase=purchase, downtime_start=start, downtime_end=None, now=start + timedelta(hours=2)
    )
    assert remedy is not None
    assert (remedy.kind, remedy.duration_days, remedy.amount) == ("free_period", 7, None)


def _outage_complaint(purchase, **details):
    return submit_complaint(
        email=purchase.customer.email,
        order_number=purchase.order_number,
        category=Category.SERVICE_OUTAGE,
        description="The service is down and we cannot work.",
        details=details,
    )


def test_the_suggestion_for_an_outage_reported_on_the_form(agent_bob):
    customer = CustomerFactory(email="alice@example.com")
    now = timezone.now()
    purchase = subscription_purchase(customer=customer, fee=Decimal("600.00"), start=now - timedelta(days=10))
    complaint = _outage_complaint(purchase, outage_started_at=now - timedelta(hours=4), outage_ongoing="yes")
    complaint_change_priority(complaint=complaint, actor=agent_bob, priority=Priority.NORMAL, reason="One user.")

    remedy = offer_suggest(complaint=complaint, now=now)

    assert remedy is not None
    assert (remedy.kind, remedy.amount) == ("service_credit", Decimal("3.33"))
    assert remedy.basis["outage_end"] is None
    assert remedy.basis["rule"] == "Subscriptions: pro-rata credit for the downtime"


def test_the_suggestion_uses_the_linked_incidents_window(manager_carol):
    customer = CustomerFactory(email="alice@example.com")
    now = timezone.now()
    purchase = subscription_purchase(customer=customer, fee=Decimal("3000.00"), start=now - timedelta(days=20))
    complaint = _outage_complaint(purchase, outage_started_at=now - timedelta(hours=1), outage_ongoing="no")
    complaint_change_priority(complaint=complaint, actor=manager_carol, priority=Priority.NORMAL, reason="Not urgent.")
    incident = Incident.objects.create(
        title="Storage outage",
        public_description="Storage was down.",
        started_at=now - timedelta(days=3),
        ended_at=now - timedelta(days=2),
    )
    complaint_set_incident(complaint=complaint, incident_id=incident.pk, actor=manager_carol, reason="Same outage.")
    complaint.refresh_from_db()

    remedy = offer_suggest(complaint=complaint, now=now)

    assert remedy is not None
    assert remedy.amount == Decimal("100.00")  # one day of thirty at 3000
    assert remedy.basis["outage_start"] == incident.started_at.isoformat()


def test_no_outage_time_no_credit_suggested():
    customer = CustomerFactory(email="alice@example.com")
    purchase = subscription_purchase(customer=customer)
    assert offer_suggest(complaint=_outage_complaint(purchase)) is None


def test_the_suggestion_for_faulty_goods_after_the_return_window():
    customer = CustomerFactory(email="alice@example.com")
    kettle = ProductFactory(kind=Product.Kind.GOODS, price=Decimal("1990.00"), warranty_days=365)
    today = timezone.localdate()
    PurchaseFactory(customer=customer, product=kettle, order_number="K-1", purchased_on=today - timedelta(days=40))
    complaint = submit_complaint(order_number="K-1", category=Category.DEFECT)

    remedy = offer_suggest(complaint=complaint)

    assert remedy is not None
    assert (remedy.kind, remedy.amount) == ("replacement", None)
    assert remedy.basis["rule"].startswith("Goods:")
    assert remedy.basis["days_since_purchase"] == "40"


def test_a_late_delivery_gets_the_voucher_rule():
    customer = CustomerFactory(email="alice@example.com")
    PurchaseFactory(customer=customer, order_number="D-1", amount=Decimal("4990.00"))
    complaint = submit_complaint(order_number="D-1", category=Category.DELIVERY)
    remedy = offer_suggest(complaint=complaint)
    assert remedy is not None
    assert (remedy.kind, remedy.amount, remedy.basis["expiry_days"]) == ("voucher", Decimal("499.00"), "180")
