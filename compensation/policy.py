"""Which remedy our policy gives: the calculations in compensation.calculations, fed with a customer's own
purchase and the rule that applies to it."""

from datetime import datetime, timedelta

from compensation.calculations import Remedy, downtime_credit, overlap
from customers.models import Product, Purchase


def remedy_for_outage(
    *,
    purchase: Purchase,
    downtime_start: datetime,
    downtime_end: datetime | None,
    now: datetime,
    category: str = "service_outage",
    priority: str = "normal",
) -> Remedy | None:
    """The service credit a subscriber is owed for an outage from ``downtime_start`` to ``downtime_end`` (still
    going on: until ``now``), counting only the part that overlaps the customer's own paid service period and
    valued at what they paid for it. None when the purchase is not a subscription with a service period, or
    the outage missed that period."""
    if purchase.product.kind != Product.Kind.SUBSCRIPTION:
        return None
    if purchase.service_start is None or purchase.service_end is None:
        return None
    if purchase.service_end <= purchase.service_start:
        return None
    end = downtime_end if downtime_end is not None else now
    own = overlap(downtime_start, end, purchase.service_start, purchase.service_end)
    if own <= timedelta(0):
        return None
    remedy = downtime_credit(
        downtime=own,
        period_start=purchase.service_start,
        period_end=purchase.service_end,
        period_fee=purchase.amount,
        currency=purchase.currency,
    )
    remedy.basis.update(
        {
            "outage_start": downtime_start.isoformat(),
            "outage_end": downtime_end.isoformat() if downtime_end is not None else None,
            "ongoing_until": end.isoformat(),
            "purchase": purchase.order_number,
            "category": category,
            "priority": priority,
            "rule": "default",
        }
    )
    return remedy
