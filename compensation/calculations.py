"""What a remedy is worth: pure functions over Decimals, dates and durations (no database).

Every function returns a ``Remedy`` whose ``basis`` is the whole calculation as JSON (each number a string), so
staff can show a customer how we got the figure. Intermediate figures are exact fractions; money is rounded
once, half-up, to the currency's minor unit at the very end.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from compensation.money import fraction_to_decimal, round_fraction, round_money

# OfferKind values (compensation.models imports Django; these functions stay importable without it).
SERVICE_CREDIT = "service_credit"
FREE_PERIOD = "free_period"
REFUND = "refund"
PARTIAL_REFUND = "partial_refund"
REPLACEMENT = "replacement"
REPAIR = "repair"
VOUCHER = "voucher"

_HUNDRED = Fraction(100)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class CreditTier:
    """Below this availability (percent, e.g. 99.9) the customer is credited this share (percent) of the fee."""

    below_availability: Decimal
    credit_share: Decimal

    def __post_init__(self) -> None:
        if not Decimal(0) < self.below_availability <= Decimal(100):
            raise ValueError("A tier's availability threshold is a percentage above 0 and at most 100.")
        if not Decimal(0) <= self.credit_share <= Decimal(100):
            raise ValueError("A tier's credit is a share of the fee between 0 and 100 percent.")

    def as_basis(self) -> dict[str, str]:
        return {"below_availability": str(self.below_availability), "credit_share": str(self.credit_share)}


@dataclass(frozen=True)
class Remedy:
    """A suggested remedy: ``amount`` for money kinds, ``duration_days`` for a free period, and the basis."""

    kind: str
    amount: Decimal | None
    currency: str
    duration_days: int | None
    basis: dict[str, Any] = field(default_factory=dict)


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime.")


def overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> timedelta:
    """How long the windows [a_start, a_end] and [b_start, b_end] share; zero when they are disjoint."""
    for moment, name in ((a_start, "a_start"), (a_end, "a_end"), (b_start, "b_start"), (b_end, "b_end")):
        _aware(moment, name)
    shared = min(a_end, b_end) - max(a_start, b_start)
    return max(shared, timedelta(0))


def _micros(span: timedelta) -> int:
    return span // _MICROSECOND


def _exact(value: Decimal) -> Fraction:
    if not value.is_finite():
        raise ValueError("Money and percentages must be finite numbers.")
    return Fraction(value)


def pro_rata_exact(*, downtime: timedelta, period: timedelta, period_fee: Decimal, multiplier: Decimal) -> Fraction:
    """downtime / period * fee * multiplier, exactly (no rounding), for additive checks and explanations."""
    return Fraction(_micros(downtime), _micros(period)) * _exact(period_fee) * _exact(multiplier)


def _tier_for(availability: Fraction, tiers: Sequence[CreditTier]) -> CreditTier | None:
    """The tier with the lowest threshold that the availability is strictly below (99.9 % exactly is not a
    breach of "below 99.9 %")."""
    breached = [tier for tier in tiers if availability < _exact(tier.below_availability)]
    return min(breached, key=lambda tier: tier.below_availability, default=None)


def _show(value: Fraction, places: int = 12) -> str:
    """An exact figure as plain decimals (no exponent, no trailing zeros), e.g. "3.333333333333", "150"."""
    return format(fraction_to_decimal(value, places).normalize(), "f")


def _seconds(span: timedelta) -> str:
    return _show(Fraction(_micros(span), 10**6), 6)


def downtime_credit(
    *,
    downtime: timedelta,
    period_start: datetime,
    period_end: datetime,
    period_fee: Decimal,
    currency: str,
    multiplier: Decimal = Decimal(1),
    minimum: Decimal = Decimal(0),
    tiers: Sequence[CreditTier] = (),
) -> Remedy:
    """A service credit for ``downtime`` within a billing period that cost ``period_fee``.

    Pro-rata: downtime / period length * fee * multiplier. With tiers (cloud-SLA style) the credit is also the
    tier's share of the fee for the lowest threshold the availability fell below; the larger figure applies.
    The minimum applies whenever there was downtime; the credit is never negative and never above the fee.
    """
    _aware(period_start, "period_start")
    _aware(period_end, "period_end")
    period = period_end - period_start
    if period <= timedelta(0):
        raise ValueError("The billing period must end after it starts.")
    if downtime < timedelta(0):
        raise ValueError("Downtime cannot be negative.")
    for value, name in ((period_fee, "period_fee"), (multiplier, "multiplier"), (minimum, "minimum")):
        if _exact(value) < 0:
            raise ValueError(f"{name} cannot be negative.")
    counted = min(downtime, period)  # an outage longer than the period cannot cost more than all of it
    fee = _exact(period_fee)
    down_share = Fraction(_micros(counted), _micros(period))
    availability = (1 - down_share) * _HUNDRED
    pro_rata = pro_rata_exact(downtime=counted, period=period, period_fee=period_fee, multiplier=multiplier)
    tier = _tier_for(availability, tiers)
    tier_credit = fee * _exact(tier.credit_share) / _HUNDRED if tier is not None else Fraction(0)
    credit = max(pro_rata, tier_credit)
    method = "tier" if tier is not None and tier_credit > pro_rata else "pro_rata"
    minimum_applied = counted > timedelta(0) and _exact(minimum) > credit
    if minimum_applied:
        credit = _exact(minimum)
    capped = credit > fee
    credit = max(min(credit, fee), Fraction(0))
    amount = round_fraction(credit, currency)
    basis: dict[str, Any] = {
        "formula": "downtime_credit",
        "method": "minimum" if minimum_applied else method,
        "downtime_seconds": _seconds(downtime),
        "downtime": str(downtime),
        "counted_downtime_seconds": _seconds(counted),
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
        "period_seconds": _seconds(period),
        "period": str(period),
        "period_fee": str(period_fee),
        "currency": currency.upper(),
        "availability_percent": _show(availability, 6),
        "multiplier": str(multiplier),
        "pro_rata": _show(pro_rata),
        "tiers": [t.as_basis() for t in tiers],
        "tier_applied": tier.as_basis() if tier is not None else None,
        "tier_credit": _show(tier_credit),
        "minimum": str(minimum),
        "minimum_applied": minimum_applied,
        "cap": str(period_fee),
        "capped": capped,
        "unrounded": _show(credit),
        "amount": str(amount),
    }
    return Remedy(kind=SERVICE_CREDIT, amount=amount, currency=currency.upper(), duration_days=None, basis=basis)


def free_period(*, days: int, currency: str, monthly_fee: Decimal | None = None) -> Remedy:
    """N days of service free of charge. With the monthly fee, the basis also shows what that is worth
    (days / 30 * fee), for approval limits and reports; the remedy itself is days, not money."""
    if days <= 0:
        raise ValueError("A free period is at least one day.")
    basis: dict[str, Any] = {"formula": "free_period", "days": str(days), "currency": currency.upper()}
    if monthly_fee is not None:
        worth = Fraction(days, 30) * _exact(monthly_fee)
        basis |= {"monthly_fee": str(monthly_fee), "worth": str(round_fraction(worth, currency))}
    return Remedy(kind=FREE_PERIOD, amount=None, currency=currency.upper(), duration_days=days, basis=basis)


def goods_remedy(
    *,
    price: Decimal,
    currency: str,
    purchased_on: date,
    today: date,
    warranty_days: int,
    defect: bool,
    return_window_days: int = 14,
    partial_refund_share: Decimal = Decimal(50),
    defect_remedy: str = REPLACEMENT,
) -> Remedy:
    """The remedy for goods, by this rule (each figure comes from the admin-editable policy):

    1. within the return window (days since purchase ≤ ``return_window_days``): a full refund of the price;
    2. otherwise a defect within the warranty (days since purchase ≤ ``warranty_days``): ``defect_remedy``
       (a replacement or a repair) at our cost;
    3. otherwise: a partial refund of ``partial_refund_share`` percent of the price.
    """
    if _exact(price) < 0:
        raise ValueError("The price cannot be negative.")
    if not Decimal(0) < partial_refund_share <= Decimal(100):
        raise ValueError("The partial refund is a share of the price above 0 and at most 100 percent.")
    if defect_remedy not in (REPLACEMENT, REPAIR):
        raise ValueError("A defect within the warranty is remedied by a replacement or a repair.")
    age = (today - purchased_on).days
    basis: dict[str, Any] = {
        "formula": "goods_remedy",
        "price": str(price),
        "currency": currency.upper(),
        "purchased_on": purchased_on.isoformat(),
        "today": today.isoformat(),
        "days_since_purchase": str(age),
        "return_window_days": str(return_window_days),
        "warranty_days": str(warranty_days),
        "defect": defect,
        "partial_refund_share": str(partial_refund_share),
    }
    if age <= return_window_days:
        amount = round_money(price, currency)
        basis |= {"rule": "return_window", "amount": str(amount)}
        return Remedy(kind=REFUND, amount=amount, currency=currency.upper(), duration_days=None, basis=basis)
    if defect and age <= warranty_days:
        basis |= {"rule": "warranty", "remedy": defect_remedy}
        return Remedy(kind=defect_remedy, amount=None, currency=currency.upper(), duration_days=None, basis=basis)
    share = _exact(price) * _exact(partial_refund_share) / _HUNDRED
    amount = round_fraction(share, currency)
    basis |= {"rule": "partial_refund", "unrounded": _show(share), "amount": str(amount)}
    return Remedy(kind=PARTIAL_REFUND, amount=amount, currency=currency.upper(), duration_days=None, basis=basis)


def voucher(
    *,
    currency: str,
    amount: Decimal | None = None,
    percent: Decimal | None = None,
    price: Decimal | None = None,
    expiry_days: int | None = None,
) -> Remedy:
    """A voucher for a fixed ``amount``, or ``percent`` of the ``price``; valid ``expiry_days`` when given."""
    if (amount is None) == (percent is None):
        raise ValueError("A voucher is either a fixed amount or a percent of the price.")
    basis: dict[str, Any] = {
        "formula": "voucher",
        "currency": currency.upper(),
        "expiry_days": str(expiry_days) if expiry_days is not None else None,
    }
    if amount is not None:
        if _exact(amount) <= 0:
            raise ValueError("A voucher is worth more than nothing.")
        exact = _exact(amount)
        basis |= {"method": "fixed", "fixed_amount": str(amount)}
    else:
        assert percent is not None  # noqa: S101 (checked above; narrows the type)
        if price is None:
            raise ValueError("A percentage voucher needs the price it is a share of.")
        if not Decimal(0) < percent <= Decimal(100) or _exact(price) < 0:
            raise ValueError("A voucher percentage is above 0 and at most 100, of a price that is not negative.")
        exact = _exact(price) * _exact(percent) / _HUNDRED
        basis |= {"method": "percent", "percent": str(percent), "price": str(price)}
    rounded = round_fraction(exact, currency)
    basis |= {"unrounded": _show(exact), "amount": str(rounded)}
    return Remedy(kind=VOUCHER, amount=rounded, currency=currency.upper(), duration_days=None, basis=basis)
