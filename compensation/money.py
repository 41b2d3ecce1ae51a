"""Money in Amends: a Decimal beside its ISO 4217 currency, rounded half-up, once, to the currency's minor unit."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

# Currencies whose minor unit is not the cent (ISO 4217, list of active codes).
_NO_MINOR_UNIT = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
_THOUSANDTHS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


def minor_unit_digits(currency: str) -> int:
    """How many digits after the point the currency's smallest coin needs: 0 for yen, 3 for dinars, else 2."""
    code = currency.upper()
    if code in _NO_MINOR_UNIT:
        return 0
    if code in _THOUSANDTHS:
        return 3
    return 2


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up (0.005 → 0.01) to the currency's minor unit."""
    return amount.quantize(Decimal(1).scaleb(-minor_unit_digits(currency)), rounding=ROUND_HALF_UP)


def round_fraction(value: Fraction, currency: str) -> Decimal:
    """Round an exact fraction half-up (away from zero) to the currency's minor unit, with no intermediate
    rounding: 1/3 of 10 RUB is 3.33, 1/200 of 1 RUB is 0.01."""
    digits = minor_unit_digits(currency)
    scaled = abs(value) * 10**digits
    units = int(scaled + Fraction(1, 2))  # floor, as the value is not negative
    if value < 0:
        units = -units
    return Decimal(units).scaleb(-digits)


def fraction_to_decimal(value: Fraction, places: int = 12) -> Decimal:
    """An exact fraction shown with ``places`` decimals (half-up), for explaining a calculation."""
    scaled = abs(value) * 10**places
    units = int(scaled + Fraction(1, 2))
    return Decimal(-units if value < 0 else units).scaleb(-places)
