"""What a remedy is worth: worked examples a support lead could check by hand, and properties that hold for
any outage (never negative, never above the fee, additive, exact decimals)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compensation.calculations import (
    CreditTier,
    downtime_credit,
    free_period,
    goods_remedy,
    overlap,
    pro_rata_exact,
    voucher,
)
from compensation.money import minor_unit_digits, round_fraction, round_money

D = Decimal
START = datetime(2026, 11, 1, tzinfo=UTC)
END_30 = START + timedelta(days=30)
CLOUD_TIERS = (
    CreditTier(below_availability=D("99.9"), credit_share=D("10")),
    CreditTier(below_availability=D("99"), credit_share=D("25")),
    CreditTier(below_availability=D("95"), credit_share=D("100")),
)


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return exponent


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("RUB", 2), ("usd", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("VND", 0), ("CLP", 0), ("KWD", 3), ("BHD", 3)],
)
def test_minor_unit_digits_follow_iso_4217(currency, digits):
    assert minor_unit_digits(currency) == digits


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.005", "RUB", "0.01"),  # half-up, not banker's rounding
        ("2.675", "RUB", "2.68"),
        ("0.004999", "RUB", "0.00"),
        ("2.5", "JPY", "3"),
        ("1499.49", "JPY", "1499"),
        ("1.2345", "KWD", "1.235"),
        ("1.2344", "KWD", "1.234"),
        ("10", "RUB", "10.00"),
    ],
)
def test_round_money_half_up_to_the_minor_unit(amount, currency, expected):
    rounded = round_money(D(amount), currency)
    assert str(rounded) == expected
    assert _exponent(rounded) == -minor_unit_digits(currency)


def test_round_fraction_is_exact_at_the_half():
    assert round_fraction(Fraction(1, 200), "RUB") == D("0.01")
    assert round_fraction(Fraction(1, 2), "JPY") == D("1")
    assert round_fraction(Fraction(-1, 200), "RUB") == D("-0.01")
    assert str(round_fraction(Fraction(0), "KWD")) == "0.000"


def test_overlap_of_windows():
    hour = timedelta(hours=1)
    assert overlap(START, START + 4 * hour, START + hour, START + 10 * hour) == 3 * hour
    assert overlap(START, START + hour, START + 2 * hour, START + 3 * hour) == timedelta(0)
    assert overlap(START, START + hour, START + hour, START + 2 * hour) == timedelta(0)  # touching
    assert overlap(START - hour, END_30 + hour, START, END_30) == timedelta(days=30)
    with pytest.raises(ValueError, match="aware"):
        overlap(datetime(2026, 11, 1), START, START, START)


@pytest.mark.parametrize(
    ("downtime", "fee", "currency", "options", "expected", "method"),
    [
        # 4 h of a 30-day 600 RUB plan: 4/720 * 600 = 3.3333… → 3.33 RUB.
        (timedelta(hours=4), "600.00", "RUB", {}, "3.33", "pro_rata"),
        # A week on a 30-day unlimited tariff at 1,500 RUB: 7/30 * 1500 = 350.00 RUB.
        (timedelta(days=7), "1500.00", "RUB", {}, "350.00", "pro_rata"),
        # The same week, doubled by the rule's multiplier: 700.00.
        (timedelta(days=7), "1500.00", "RUB", {"multiplier": D("2")}, "700.00", "pro_rata"),
        # A 3.6-minute blip with a 50 RUB goodwill minimum.
        (timedelta(minutes=3, seconds=36), "600.00", "RUB", {"minimum": D("50")}, "50.00", "minimum"),
        # No downtime, no minimum.
        (timedelta(0), "600.00", "RUB", {"minimum": D("50")}, "0.00", "pro_rata"),
        # An outage longer than the period credits the whole fee, never more.
        (timedelta(days=45), "600.00", "RUB", {"multiplier": D("3")}, "600.00", "pro_rata"),
        # A minimum above the fee is capped at the fee.
        (timedelta(hours=1), "100.00", "RUB", {"minimum": D("500")}, "100.00", "minimum"),
        # Yen have no minor unit: 4/720 * 3000 = 16.67 → 17 JPY.
        (timedelta(hours=4), "3000", "JPY", {}, "17", "pro_rata"),
        # Kuwaiti dinars have three: 4/720 * 10 = 0.05555… → 0.056 KWD.
        (timedelta(hours=4), "10.000", "KWD", {}, "0.056", "pro_rata"),
        # Exactly half a kopeck: 36 s of a 30-day 720 RUB period = 0.01 → stays 0.01; 18 s = 0.005 → 0.01.
        (timedelta(seconds=18), "720.00", "RUB", {}, "0.01", "pro_rata"),
    ],
)
def test_downtime_credit_examples(downtime, fee, currency, options, expected, method):
    remedy = downtime_credit(
        downtime=downtime, period_start=START, period_end=END_30, period_fee=D(fee), currency=currency, **options
    )
    assert remedy.kind == "service_credit"
    assert remedy.amount == D(expected)
    assert str(remedy.amount) == expected
    assert remedy.basis["method"] == method
    assert remedy.basis["amount"] == expected


def test_the_four_hour_outage_shows_how_we_got_the_figure():
    remedy = downtime_credit(
        downtime=timedelta(hours=4), period_start=START, period_end=END_30, period_fee=D("600.00"), currency="RUB"
    )
    assert remedy.basis == {
        "formula": "downtime_credit",
        "method": "pro_rata",
        "downtime_seconds": "14400",
        "downtime": "4:00:00",
        "counted_downtime_seconds": "14400",
        "period_start": "2026-11-01T00:00:00+00:00",
        "period_end": "2026-12-01T00:00:00+00:00",
        "period_seconds": "2592000",
        "period": "30 days, 0:00:00",
        "period_fee": "600.00",
        "currency": "RUB",
        "availability_percent": "99.444444",
        "multiplier": "1",
        "pro_rata": "3.333333333333",
        "tiers": [],
        "tier_applied": None,
        "tier_credit": "0",
        "minimum": "0",
        "minimum_applied": False,
        "cap": "600.00",
        "capped": False,
        "unrounded": "3.333333333333",
        "amount": "3.33",
    }


# Availability exactly at a threshold is not "below" it; a microsecond more downtime is.
_PERIOD_US = 30 * 24 * 3600 * 10**6


@pytest.mark.parametrize(
    ("availability", "extra_us", "share", "expected"),
    [
        ("99.9", 0, None, "2.59"),  # 43.2 min = pro-rata 0.1 % of 2592 → 2.59; no tier
        ("99.9", 1, "10", "259.20"),
        ("99", 0, "10", "259.20"),  # exactly 99 %: below 99.9, not below 99
        ("99", 1, "25", "648.00"),
        ("95", 0, "25", "648.00"),
        ("95", 1, "100", "2592.00"),
    ],
)
def test_tiers_at_their_boundaries(availability, extra_us, share, expected):
    down_share = 1 - Fraction(D(availability)) / 100
    downtime = timedelta(microseconds=int(down_share * _PERIOD_US) + extra_us)
    remedy = downtime_credit(
        downtime=downtime,
        period_start=START,
        period_end=END_30,
        period_fee=D("2592.00"),
        currency="RUB",
        tiers=CLOUD_TIERS,
    )
    assert remedy.amount == D(expected)
    applied = remedy.basis["tier_applied"]
    assert (applied["credit_share"] if applied else None) == share


def test_pro_rata_beats_a_smaller_tier():
    # 2 days of 30 is 93.3 % availability: below 99 % → 5 % of 3000 = 150; pro-rata 2/30 * 3000 = 200 wins.
    tiers = (CreditTier(below_availability=D("99"), credit_share=D("5")),)
    remedy = downtime_credit(
        downtime=timedelta(days=2),
        period_start=START,
        period_end=END_30,
        period_fee=D("3000"),
        currency="RUB",
        tiers=tiers,
    )
    assert remedy.amount == D("200.00")
    assert remedy.basis["method"] == "pro_rata"
    assert remedy.basis["tier_credit"] == "150"


def test_invalid_inputs_are_refused():
    with pytest.raises(ValueError, match="end after"):
        downtime_credit(downtime=timedelta(1), period_start=END_30, period_end=START, period_fee=D(1), currency="RUB")
    with pytest.raises(ValueError, match="negative"):
        downtime_credit(downtime=-timedelta(1), period_start=START, period_end=END_30, period_fee=D(1), currency="RUB")
    with pytest.raises(ValueError, match="threshold"):
        CreditTier(below_availability=D("101"), credit_share=D("10"))


def test_free_period():
    remedy = free_period(days=7, currency="rub", monthly_fee=D("600.00"))
    assert (remedy.kind, remedy.amount, remedy.duration_days, remedy.currency) == ("free_period", None, 7, "RUB")
    assert remedy.basis["worth"] == "140.00"
    with pytest.raises(ValueError, match="at least one day"):
        free_period(days=0, currency="RUB")


@pytest.mark.parametrize(
    ("days_owned", "defect", "kind", "amount", "rule"),
    [
        (0, False, "refund", "1990.00", "return_window"),
        (14, False, "refund", "1990.00", "return_window"),  # the 14th day is still inside the window
        (15, True, "replacement", None, "warranty"),
        (365, True, "replacement", None, "warranty"),
        (366, True, "partial_refund", "995.00", "partial_refund"),
        (15, False, "partial_refund", "995.00", "partial_refund"),
    ],
)
def test_goods_remedy_rule(days_owned, defect, kind, amount, rule):
    bought = date(2026, 1, 10)
    remedy = goods_remedy(
        price=D("1990.00"),
        currency="RUB",
        purchased_on=bought,
        today=bought + timedelta(days=days_owned),
        warranty_days=365,
        defect=defect,
    )
    assert remedy.kind == kind
    assert remedy.amount == (D(amount) if amount else None)
    assert remedy.basis["rule"] == rule


def test_goods_remedy_policy_is_data():
    bought = date(2026, 1, 10)
    remedy = goods_remedy(
        price=D("999.99"),
        currency="RUB",
        purchased_on=bought,
        today=bought + timedelta(days=20),
        warranty_days=10,
        defect=True,
        return_window_days=30,
    )
    assert (remedy.kind, remedy.amount) == ("refund", D("999.99"))
    remedy = goods_remedy(
        price=D("999.99"),
        currency="RUB",
        purchased_on=bought,
        today=bought + timedelta(days=20),
        warranty_days=90,
        defect=True,
        return_window_days=7,
        defect_remedy="repair",
    )
    assert remedy.kind == "repair"
    remedy = goods_remedy(
        price=D("999.99"),
        currency="RUB",
        purchased_on=bought,
        today=bought + timedelta(days=200),
        warranty_days=90,
        defect=True,
        partial_refund_share=D("30"),
    )
    assert (remedy.kind, remedy.amount, remedy.basis["unrounded"]) == ("partial_refund", D("300.00"), "299.997")


def test_voucher_fixed_or_percent():
    assert voucher(currency="RUB", amount=D("500"), expiry_days=90).amount == D("500.00")
    remedy = voucher(currency="JPY", percent=D("15"), price=D("4990"))
    assert (remedy.amount, remedy.basis["method"]) == (D("749"), "percent")  # 748.5 → 749, half-up
    with pytest.raises(ValueError, match="either"):
        voucher(currency="RUB", amount=D("1"), percent=D("1"), price=D("1"))
    with pytest.raises(ValueError, match="needs the price"):
        voucher(currency="RUB", percent=D("10"))


# Properties: any outage within any period, any fee.
periods = st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(days=366))
fees = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
multipliers = st.decimals(min_value=0, max_value=10, places=2, allow_nan=False, allow_infinity=False)
currencies = st.sampled_from(["RUB", "USD", "JPY", "KWD"])
tier_tables = st.sampled_from([(), CLOUD_TIERS])


@given(
    period=periods,
    down_fraction=st.fractions(min_value=0, max_value=2),
    fee=fees,
    multiplier=multipliers,
    minimum=fees,
    currency=currencies,
    tiers=tier_tables,
)
def test_credit_is_never_negative_nor_above_the_fee_and_is_an_exact_decimal(
    period, down_fraction, fee, multiplier, minimum, currency, tiers
):
    downtime = timedelta(microseconds=int(down_fraction * (period // timedelta(microseconds=1))))
    remedy = downtime_credit(
        downtime=downtime,
        period_start=START,
        period_end=START + period,
        period_fee=fee,
        currency=currency,
        multiplier=multiplier,
        minimum=minimum,
        tiers=tiers,
    )
    assert remedy.amount is not None
    assert type(remedy.amount) is Decimal
    assert _exponent(remedy.amount) == -minor_unit_digits(currency)
    assert D(0) <= remedy.amount <= round_money(fee, currency)
    assert all(not isinstance(value, float) for value in remedy.basis.values())


@given(
    period=periods,
    first=st.fractions(min_value=0, max_value=Fraction(1, 2)),
    second=st.fractions(min_value=0, max_value=Fraction(1, 2)),
    fee=fees,
    multiplier=st.decimals(min_value=0, max_value=1, places=2),
    currency=currencies,
)
def test_pro_rata_is_additive_over_disjoint_windows(period, first, second, fee, multiplier, currency):
    period_us = period // timedelta(microseconds=1)
    a = timedelta(microseconds=int(first * period_us))
    b = timedelta(microseconds=int(second * period_us))
    both = pro_rata_exact(downtime=a + b, period=period, period_fee=fee, multiplier=multiplier)
    each = pro_rata_exact(downtime=a, period=period, period_fee=fee, multiplier=multiplier) + pro_rata_exact(
        downtime=b, period=period, period_fee=fee, multiplier=multiplier
    )
    assert both == each
    # Rounded once at the end, the separate credits differ from the joint one by at most one minor unit.
    credit = {
        key: downtime_credit(
            downtime=span,
            period_start=START,
            period_end=START + period,
            period_fee=fee,
            currency=currency,
            multiplier=multiplier,
        ).amount
        for key, span in (("a", a), ("b", b), ("both", a + b))
    }
    unit = D(1).scaleb(-minor_unit_digits(currency))
    assert credit["a"] is not None
    assert credit["b"] is not None
    assert credit["both"] is not None
    assert abs(credit["a"] + credit["b"] - credit["both"]) <= unit


@given(days=st.integers(min_value=1, max_value=3650), fee=fees)
def test_a_free_period_is_days_not_money(days, fee):
    remedy = free_period(days=days, currency="RUB", monthly_fee=fee)
    assert remedy.amount is None
    assert remedy.duration_days == days
    assert type(D(remedy.basis["worth"])) is Decimal
