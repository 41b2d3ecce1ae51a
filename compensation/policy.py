"""Which remedy our policy gives: the calculations in compensation.calculations, fed with a customer's own
purchase and the admin-editable rule (``CompensationRule``) that applies to it."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from compensation.calculations import Remedy, downtime_credit, free_period, goods_remedy, overlap, voucher
from compensation.models import CompensationRule, RemedyType
from compensation.selectors import compensation_rule_for
from customers.models import Product, Purchase

# A subscription complaint without a known service period is valued over one month of the product's fee.
ASSUMED_PERIOD = timedelta(days=30)

CREDIT_TYPES = (RemedyType.SERVICE_CREDIT, RemedyType.SERVICE_CREDIT_TIERS)


def _rule_basis(rule: CompensationRule) -> dict[str, Any]:
    return {"rule": rule.name, "rule_id": rule.pk, "remedy_type": rule.remedy_type}


def _voucher_for(rule: CompensationRule, *, price: Decimal, currency: str) -> Remedy:
    if rule.remedy_type == RemedyType.VOUCHER_PERCENT:
        return voucher(
            currency=currency, percent=rule.voucher_percent, price=price, expiry_days=rule.voucher_expiry_days
        )
    return voucher(currency=currency, amount=rule.voucher_amount, expiry_days=rule.voucher_expiry_days)


def remedy_for_window(
    *,
    rule: CompensationRule,
    downtime_start: datetime,
    downtime_end: datetime,
    period_start: datetime,
    period_end: datetime,
    fee: Decimal,
    currency: str,
) -> Remedy | None:
    """The rule's remedy for an outage window against one service period (None: the outage missed it)."""
    own = overlap(downtime_start, downtime_end, period_start, period_end)
    if own <= timedelta(0):
        return None
    if rule.remedy_type == RemedyType.FREE_PERIOD and rule.free_days:
        return free_period(days=rule.free_days, currency=currency, monthly_fee=fee)
    if rule.remedy_type in (RemedyType.VOUCHER_FIXED, RemedyType.VOUCHER_PERCENT):
        return _voucher_for(rule, price=fee, currency=currency)
    return downtime_credit(
        downtime=own,
        period_start=period_start,
        period_end=period_end,
        period_fee=fee,
        currency=currency,
        multiplier=rule.multiplier,
        minimum=rule.minimum,
        tiers=rule.credit_tiers() if rule.remedy_type == RemedyType.SERVICE_CREDIT_TIERS else (),
    )


def remedy_for_outage(
    *,
    purchase: Purchase,
    downtime_start: datetime,
    downtime_end: datetime | None,
    now: datetime,
    category: str = "service_outage",
    priority: str = "normal",
    rule: CompensationRule | None = None,
) -> Remedy | None:
    """The remedy a subscriber is owed for an outage from ``downtime_start`` to ``downtime_end`` (still going on:
    until ``now``), counting only the part that overlaps the customer's own paid service period and valued at
    what they paid for it, by the rule for the product, category and priority. None when the purchase is not a
    subscription with a service period, or the outage missed that period. A caller crediting many purchases of
    one product may pass the ``rule`` it looked up once (``compensation_rule_for``)."""
    if purchase.product.kind != Product.Kind.SUBSCRIPTION:
        return None
    if purchase.service_start is None or purchase.service_end is None:
        return None
    if purchase.service_end <= purchase.service_start:
        return None
    end = downtime_end if downtime_end is not None else now
    if rule is None:
        rule = compensation_rule_for(
            product_kind=Product.Kind.SUBSCRIPTION,
            product_id=purchase.product_id,
            category=category,
            priority=priority,
        )
    remedy = remedy_for_window(
        rule=rule,
        downtime_start=downtime_start,
        downtime_end=end,
        period_start=purchase.service_start,
        period_end=purchase.service_end,
        fee=purchase.amount,
        currency=purchase.currency,
    )
    if remedy is None:
        return None
    remedy.basis.update(
        {
            "outage_start": downtime_start.isoformat(),
            "outage_end": downtime_end.isoformat() if downtime_end is not None else None,
            "ongoing_until": end.isoformat(),
            "purchase": purchase.order_number,
            "category": category,
            "priority": priority,
            **_rule_basis(rule),
        }
    )
    return remedy


def remedy_for_complaint(
    *,
    product: Product,
    purchase: Purchase | None,
    category: str,
    priority: str,
    outage: tuple[datetime, datetime | None] | None,
    defect: bool,
    now: datetime,
) -> Remedy | None:
    """The suggestion for a complaint about ``product``: for a subscription, the rule's remedy for the outage
    window (``outage``: start and end, None while ongoing) over the customer's service period (or one month of
    the product's fee when the purchase is unknown); for goods, the rule's remedy by the purchase date."""
    rule = compensation_rule_for(product_kind=product.kind, product_id=product.pk, category=category, priority=priority)
    fee = purchase.amount if purchase is not None else product.price
    currency = purchase.currency if purchase is not None else product.currency
    remedy: Remedy | None
    if product.kind == Product.Kind.SUBSCRIPTION:
        if rule.remedy_type in (RemedyType.VOUCHER_FIXED, RemedyType.VOUCHER_PERCENT):
            remedy = _voucher_for(rule, price=fee, currency=currency)
        elif rule.remedy_type == RemedyType.FREE_PERIOD and rule.free_days:
            remedy = free_period(days=rule.free_days, currency=currency, monthly_fee=fee)
        elif outage is None:
            return None
        else:
            start, end = outage[0], outage[1] or now
            if purchase is not None and purchase.service_start and purchase.service_end:
                period_start, period_end = purchase.service_start, purchase.service_end
            else:
                period_start, period_end = start, start + ASSUMED_PERIOD
            remedy = remedy_for_window(
                rule=rule,
                downtime_start=start,
                downtime_end=end,
                period_start=period_start,
                period_end=period_end,
                fee=fee,
                currency=currency,
            )
            if remedy is not None:
                remedy.basis.update(
                    {
                        "outage_start": start.isoformat(),
                        "outage_end": outage[1].isoformat() if outage[1] else None,
                        "ongoing_until": end.isoformat(),
                        "period_assumed": purchase is None or purchase.service_start is None,
                    }
                )
    elif rule.remedy_type in (RemedyType.VOUCHER_FIXED, RemedyType.VOUCHER_PERCENT):
        remedy = _voucher_for(rule, price=fee, currency=currency)
    else:
        bought: date = purchase.purchased_on if purchase is not None else now.date()
        remedy = goods_remedy(
            price=fee,
            currency=currency,
            purchased_on=bought,
            today=now.date(),
            warranty_days=product.warranty_days,
            defect=defect,
            return_window_days=rule.return_window_days,
            partial_refund_share=rule.partial_refund_share,
            defect_remedy=rule.defect_remedy,
        )
    if remedy is not None:
        remedy.basis.update({"category": category, "priority": priority, **_rule_basis(rule)})
    return remedy
