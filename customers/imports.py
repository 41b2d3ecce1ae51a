"""Reading and checking import files: pure parsing and validation, no database access.

Each ``*_clean`` function turns one raw row (a dict of strings, from CSV or JSON) into clean Python values or a
list of per-field errors. ``customers.services`` does the upserting.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from customers.models import Language, Product

MAX_ROWS = 100_000
MONEY_MAX = Decimal("9999999999.99")

CUSTOMER_COLUMNS = ("email", "name")
PRODUCT_COLUMNS = ("code", "name", "price")
PURCHASE_COLUMNS = ("order_number", "product_code", "purchased_on", "amount")


class ImportFileError(Exception):
    """The file cannot be read at all (not the same as a row with a mistake)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def error_rows(self) -> int:
        return len({error.row for error in self.errors})

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
            "errors": [error.as_dict() for error in self.errors],
        }


def parse_csv(data: bytes) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts keyed by the header. UTF-8 with or without a BOM; ``,`` or ``;``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The file is not UTF-8 text. Save it as CSV UTF-8 and try again.")) from exc
    if not text.strip():
        raise ImportFileError(_("The file is empty: a header row is required."))
    first_line = text.lstrip().splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in (reader.fieldnames or [])]
        reader.fieldnames = header
        rows: list[dict[str, str]] = []
        for raw in reader:
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(too_many_rows_message())
            row = {key: (value or "").strip() for key, value in raw.items() if key is not None}
            if any(row.values()):
                rows.append(row)
    except csv.Error as exc:
        raise ImportFileError(_("The file is not valid CSV: %(error)s") % {"error": exc}) from exc
    if not any(header):
        raise ImportFileError(_("The file is empty: a header row is required."))
    return rows


def too_many_rows_message() -> str:
    return _("At most %(count)s rows can be imported at once; split the file.") % {"count": f"{MAX_ROWS:,}"}


def check_columns(rows: list[dict[str, Any]], required: tuple[str, ...]) -> None:
    """A clear error when the header (the first row's keys) lacks a required column."""
    if not rows:
        return
    missing = [name for name in required if name not in rows[0]]
    if missing:
        raise ImportFileError(_("Required column missing: %(columns)s.") % {"columns": ", ".join(missing)})


def _text(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value).strip()


class _Row:
    """Collects the clean values and the errors of one row."""

    def __init__(self, number: int, raw: dict[str, Any]) -> None:
        self.number = number
        self.raw = raw
        self.errors: list[RowError] = []

    def error(self, name: str, message: str) -> None:
        self.errors.append(RowError(self.number, name, message))

    def text(self, name: str, *, required: bool = False, max_length: int = 200) -> str:
        value = _text(self.raw, name)
        if required and not value:
            self.error(name, _("This field is required."))
        elif len(value) > max_length:
            self.error(name, _("At most %(count)d characters.") % {"count": max_length})
        return value

    def money(self, name: str, *, required: bool = True) -> Decimal | None:
        value = _text(self.raw, name).replace(" ", "")
        if not value:
            if required:
                self.error(name, _("This field is required."))
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            self.error(name, _("Enter an amount such as 1299.00."))
            return None
        if not amount.is_finite() or amount < 0:
            self.error(name, _("Enter an amount of zero or more."))
            return None
        if amount != amount.quantize(Decimal("0.01")):
            self.error(name, _("Use at most two decimal places."))
            return None
        if amount > MONEY_MAX:
            self.error(name, _("This amount is too large."))
            return None
        return amount.quantize(Decimal("0.01"))

    def currency(self, name: str, default: str) -> str:
        value = _text(self.raw, name).upper() or default
        if len(value) != 3 or not value.isascii() or not value.isalpha():
            self.error(name, _("Use a three-letter ISO 4217 currency code."))
        return value

    def date(self, name: str, *, required: bool = True) -> dt.date | None:
        value = _text(self.raw, name)
        if not value:
            if required:
                self.error(name, _("This field is required."))
            return None
        try:
            parsed = parse_date(value)
        except ValueError:
            parsed = None
        if parsed is None:
            self.error(name, _("Enter a date as YYYY-MM-DD."))
        return parsed

    def datetime(self, name: str) -> dt.datetime | None:
        value = _text(self.raw, name)
        if not value:
            return None
        try:
            parsed = parse_datetime(value)
            if parsed is None and parse_date(value) is not None:
                parsed = dt.datetime.combine(parse_date(value) or dt.date.min, dt.time.min)
        except ValueError:
            parsed = None
        if parsed is None:
            self.error(name, _("Enter a date and time as YYYY-MM-DDTHH:MM, with an optional time zone."))
            return None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed


def customer_clean(number: int, raw: dict[str, Any]) -> tuple[dict[str, Any], list[RowError]]:
    row = _Row(number, raw)
    email = row.text("email", required=True, max_length=254).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            row.error("email", _("Enter a valid email address."))
    name = row.text("name", required=True, max_length=200)
    phone = row.text("phone", max_length=40)
    language = _text(raw, "language").lower() or Language.EN
    if language not in Language.values:
        row.error("language", _("Use one of: %(choices)s.") % {"choices": ", ".join(Language.values)})
    external_id = row.text("external_id", max_length=64)
    clean = {"email": email, "name": name, "phone": phone, "language": language, "external_id": external_id}
    return clean, row.errors


def product_clean(number: int, raw: dict[str, Any], *, default_currency: str) -> tuple[dict[str, Any], list[RowError]]:
    row = _Row(number, raw)
    code = row.text("code", required=True, max_length=64)
    if code:
        try:
            validate_slug(code)
        except ValidationError:
            row.error("code", _("Use only letters, digits, hyphens and underscores."))
    name = row.text("name", required=True, max_length=200)
    kind = _text(raw, "kind").lower() or Product.Kind.GOODS
    if kind not in Product.Kind.values:
        row.error("kind", _("Use one of: %(choices)s.") % {"choices": ", ".join(Product.Kind.values)})
    price = row.money("price")
    currency = row.currency("currency", default_currency)
    warranty_text = _text(raw, "warranty_days") or "0"
    warranty_days = 0
    if not warranty_text.isdigit() or int(warranty_text) > 2_147_483_647:
        row.error("warranty_days", _("Enter a whole number of days, zero or more."))
    else:
        warranty_days = int(warranty_text)
    active_text = _text(raw, "is_active").lower()
    is_active = True
    if active_text in ("0", "false", "no", "n"):
        is_active = False
    elif active_text not in ("", "1", "true", "yes", "y"):
        row.error("is_active", _("Use true or false."))
    clean = {
        "code": code,
        "name": name,
        "kind": kind,
        "price": price,
        "currency": currency,
        "warranty_days": warranty_days,
        "is_active": is_active,
    }
    return clean, row.errors


def purchase_clean(number: int, raw: dict[str, Any], *, default_currency: str) -> tuple[dict[str, Any], list[RowError]]:
    row = _Row(number, raw)
    order_number = row.text("order_number", required=True, max_length=64)
    customer_external_id = row.text("customer_external_id", max_length=64)
    customer_email = row.text("customer_email", max_length=254).lower()
    if not customer_external_id and not customer_email:
        row.error("customer_email", _("Give the customer's external id or email."))
    product_code = row.text("product_code", required=True, max_length=64)
    purchased_on = row.date("purchased_on")
    amount = row.money("amount")
    currency = row.currency("currency", default_currency)
    service_start = row.datetime("service_start")
    service_end = row.datetime("service_end")
    if service_start and service_end and service_end < service_start:
        row.error("service_end", _("The service period cannot end before it starts."))
    external_id = row.text("external_id", max_length=64)
    clean = {
        "order_number": order_number,
        "customer_external_id": customer_external_id,
        "customer_email": customer_email,
        "product_code": product_code,
        "purchased_on": purchased_on,
        "amount": amount,
        "currency": currency,
        "service_start": service_start,
        "service_end": service_end,
        "external_id": external_id,
    }
    return clean, row.errors


IMPORT_COLUMNS = {
    "customer": (CUSTOMER_COLUMNS, ("external_id", "phone", "language")),
    "product": (PRODUCT_COLUMNS, ("kind", "currency", "warranty_days", "is_active")),
    "purchase": (
        PURCHASE_COLUMNS,
        ("external_id", "customer_external_id", "customer_email", "currency", "service_start", "service_end"),
    ),
}


def import_columns_help(model_name: str) -> dict[str, tuple[str, ...]]:
    """The required and the optional columns of an import file, for the admin page."""
    required, optional = IMPORT_COLUMNS[model_name]
    return {"required": required, "optional": optional}
