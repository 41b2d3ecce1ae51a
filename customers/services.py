"""Writes for customers."""

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from config.exceptions import ApplicationError
from customers.imports import (
    CUSTOMER_COLUMNS,
    MAX_ROWS,
    PRODUCT_COLUMNS,
    PURCHASE_COLUMNS,
    ImportFileError,
    ImportResult,
    RowError,
    check_columns,
    customer_clean,
    product_clean,
    purchase_clean,
    too_many_rows_message,
)
from customers.models import Customer, Language, Product, Purchase, default_currency

M = TypeVar("M", bound=models.Model)

EMAIL_MAX_LENGTH = 254


def customer_normalize_email(email: str) -> str:
    return email.strip().lower()


def customer_get_or_create_by_email(*, email: str, name: str, phone: str = "", language: str = "") -> Customer:
    """The customer with this email, created on first contact. A repeat customer keeps their record; an empty
    phone on file is filled from the new contact, and the latest language choice is remembered."""
    email = customer_normalize_email(email)
    # Lower-casing can lengthen some letters (e.g. "İ"), so the limit is checked on the stored form.
    if len(email) > EMAIL_MAX_LENGTH:
        raise ApplicationError(_("This email address is too long."), extra={"field": "email"})
    lang = language if language in Language.values else Language.EN
    customer, created = Customer.objects.get_or_create(
        email=email, defaults={"name": name.strip(), "phone": phone.strip(), "language": lang}
    )
    if created:
        return customer
    changed: list[str] = []
    if phone.strip() and not customer.phone:
        customer.phone = phone.strip()
        changed.append("phone")
    if language in Language.values and customer.language != language:
        customer.language = language
        changed.append("language")
    if changed:
        customer.save(update_fields=changed)
    return customer


# --- Imports: upsert customers, products and purchases from a CRM or billing export -------------------------

LOOKUP_CHUNK = 5000
WRITE_BATCH = 2000
CUSTOMER_FIELDS = ("email", "name", "phone", "language", "external_id")
PRODUCT_FIELDS = ("name", "kind", "price", "currency", "warranty_days", "is_active")
PURCHASE_FIELDS = (
    "customer_id",
    "product_id",
    "order_number",
    "purchased_on",
    "amount",
    "currency",
    "service_start",
    "service_end",
    "external_id",
)


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


def _lookup(model: type[M], field: str, values: Iterable[str], *, only: tuple[str, ...] = ()) -> dict[str, M]:
    """Existing rows keyed by ``field``, looked up in chunks (a bounded number of queries)."""
    wanted = sorted({value for value in values if value})
    found: dict[str, M] = {}
    for chunk in _chunks(wanted):
        queryset = model._default_manager.filter(**{f"{field}__in": chunk})
        if only:
            queryset = queryset.only(*only)
        for obj in queryset:
            found[getattr(obj, field)] = obj
    return found


def _apply(obj: models.Model, clean: dict[str, Any], fields: tuple[str, ...]) -> bool:
    changed = False
    for name in fields:
        if getattr(obj, name) != clean[name]:
            setattr(obj, name, clean[name])
            changed = True
    return changed


def _place(
    model: type[M],
    existing: M | None,
    values: dict[str, Any],
    fields: tuple[str, ...],
    *,
    natural: str,
    owners: dict[str, object],
    new: list[M],
    changed: list[M],
    result: ImportResult,
) -> None:
    """Queue one valid row: a new record, or the existing one changed (keeping its external id when the row has
    none) or counted unchanged. ``owners`` (natural key, e.g. email or order number → record) stays current, so a
    later row of the file sees what an earlier one took or gave up."""
    if existing is None:
        obj = model(**values)
        new.append(obj)
        owners[values[natural]] = obj
        return
    if getattr(existing, "external_id", "") and not values.get("external_id"):
        values["external_id"] = existing.external_id  # type: ignore[attr-defined]
    previous = getattr(existing, natural)
    if _apply(existing, values, fields):
        changed.append(existing)
        owners.pop(previous, None)
        owners[getattr(existing, natural)] = existing.pk
    else:
        result.unchanged += 1


def _write(
    model: type[M], result: ImportResult, new: list[M], changed: list[M], fields: tuple[str, ...], dry_run: bool
) -> ImportResult:
    result.created, result.updated, result.dry_run = len(new), len(changed), dry_run
    if not dry_run:
        try:
            with transaction.atomic():
                # Updates first: a new row may take the email or order number an updated row gave up.
                model._default_manager.bulk_update(changed, list(fields), batch_size=WRITE_BATCH)
                model._default_manager.bulk_create(new, batch_size=WRITE_BATCH)
        except IntegrityError as exc:
            # Rows that swap an email or order number between two records, or an import running at the same time
            # that created the same key: nothing of this file was written, and the person is told why.
            raise ImportFileError(
                str(
                    _(
                        "Nothing was imported: two records would end up with the same email, code or order number "
                        "(rows of this file swap them between existing records, or another import wrote them "
                        "meanwhile). Import the file again, or in two parts."
                    )
                )
            ) from exc
    return result


def _check_size(rows: list[dict[str, Any]]) -> None:
    if len(rows) > MAX_ROWS:
        raise ImportFileError(too_many_rows_message())


def customers_import(rows: list[dict[str, Any]], *, dry_run: bool = False) -> ImportResult:
    """Upsert customers by external id, else by email. Rows with mistakes are skipped and reported."""
    _check_size(rows)
    check_columns(rows, CUSTOMER_COLUMNS)
    result = ImportResult()
    cleaned: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(rows, 1):
        clean, errors = customer_clean(number, raw)
        result.errors += errors
        if not errors:
            cleaned.append((number, clean))
    by_external = _lookup(Customer, "external_id", (c["external_id"] for _n, c in cleaned))
    by_email = _lookup(Customer, "email", (c["email"] for _n, c in cleaned))
    new: list[Customer] = []
    changed: list[Customer] = []
    seen_keys: set[str] = set()
    email_owner: dict[str, object] = {email: obj.pk for email, obj in by_email.items()}
    for number, clean in cleaned:
        key = f"x:{clean['external_id']}" if clean["external_id"] else f"e:{clean['email']}"
        if key in seen_keys:
            field = "external_id" if clean["external_id"] else "email"
            result.errors.append(RowError(number, field, str(_("This row repeats an earlier row of the file."))))
            continue
        existing = by_external.get(clean["external_id"]) if clean["external_id"] else None
        if existing is None:
            existing = by_email.get(clean["email"])
            if existing is not None and email_owner.get(clean["email"]) != existing.pk:
                existing = None  # an earlier row of the file moved this customer to another email
            if existing is not None and clean["external_id"] and existing.external_id:
                # The email belongs to a customer the CRM knows under another id.
                result.errors.append(
                    RowError(number, "email", str(_("Another customer with a different external id has this email.")))
                )
                continue
        owner = email_owner.get(clean["email"])
        if owner is not None and (existing is None or owner != existing.pk):
            result.errors.append(RowError(number, "email", str(_("Another customer already has this email."))))
            continue
        seen_keys.add(key)
        _place(
            Customer,
            existing,
            clean,
            CUSTOMER_FIELDS,
            natural="email",
            owners=email_owner,
            new=new,
            changed=changed,
            result=result,
        )
    result.errors.sort(key=lambda error: error.row)
    return _write(Customer, result, new, changed, CUSTOMER_FIELDS, dry_run)


def products_import(rows: list[dict[str, Any]], *, dry_run: bool = False) -> ImportResult:
    """Upsert products by code."""
    _check_size(rows)
    check_columns(rows, PRODUCT_COLUMNS)
    result = ImportResult()
    cleaned: list[tuple[int, dict[str, Any]]] = []
    currency = default_currency()
    for number, raw in enumerate(rows, 1):
        clean, errors = product_clean(number, raw, default_currency=currency)
        result.errors += errors
        if not errors:
            cleaned.append((number, clean))
    existing_by_code = _lookup(Product, "code", (c["code"] for _n, c in cleaned))
    new: list[Product] = []
    changed: list[Product] = []
    seen: set[str] = set()
    for number, clean in cleaned:
        if clean["code"] in seen:
            result.errors.append(RowError(number, "code", str(_("This row repeats an earlier row of the file."))))
            continue
        seen.add(clean["code"])
        existing = existing_by_code.get(clean["code"])
        if existing is None:
            new.append(Product(**clean))
        elif _apply(existing, clean, PRODUCT_FIELDS):
            changed.append(existing)
        else:
            result.unchanged += 1
    result.errors.sort(key=lambda error: error.row)
    return _write(Product, result, new, changed, PRODUCT_FIELDS, dry_run)


def purchases_import(rows: list[dict[str, Any]], *, dry_run: bool = False) -> ImportResult:
    """Upsert purchases by external id, else by order number. The customer is found by
    ``customer_external_id`` or ``customer_email``, the product by ``product_code``; both must exist."""
    _check_size(rows)
    check_columns(rows, PURCHASE_COLUMNS)
    result = ImportResult()
    cleaned: list[tuple[int, dict[str, Any]]] = []
    currency = default_currency()
    for number, raw in enumerate(rows, 1):
        clean, errors = purchase_clean(number, raw, default_currency=currency)
        result.errors += errors
        if not errors:
            cleaned.append((number, clean))
    key_only = ("id", "email", "external_id")
    customers_by_external = _lookup(
        Customer, "external_id", (c["customer_external_id"] for _n, c in cleaned), only=key_only
    )
    customers_by_email = _lookup(Customer, "email", (c["customer_email"] for _n, c in cleaned), only=key_only)
    products = _lookup(Product, "code", (c["product_code"] for _n, c in cleaned), only=("id", "code"))
    by_external = _lookup(Purchase, "external_id", (c["external_id"] for _n, c in cleaned))
    by_order = _lookup(Purchase, "order_number", (c["order_number"] for _n, c in cleaned))
    order_owner: dict[str, object] = {order: obj.pk for order, obj in by_order.items()}
    new: list[Purchase] = []
    changed: list[Purchase] = []
    seen: set[str] = set()
    for number, clean in cleaned:
        customer = None
        if clean["customer_external_id"]:
            customer = customers_by_external.get(clean["customer_external_id"])
            if customer is None:
                message = _("No customer has this external id; import the customers first.")
                result.errors.append(RowError(number, "customer_external_id", str(message)))
                continue
        else:
            customer = customers_by_email.get(clean["customer_email"])
            if customer is None:
                message = _("No customer has this email; import the customers first.")
                result.errors.append(RowError(number, "customer_email", str(message)))
                continue
        product = products.get(clean["product_code"])
        if product is None:
            message = _("No product has this code; import the products first.")
            result.errors.append(RowError(number, "product_code", str(message)))
            continue
        key = f"x:{clean['external_id']}" if clean["external_id"] else f"o:{clean['order_number']}"
        if key in seen:
            field = "external_id" if clean["external_id"] else "order_number"
            result.errors.append(RowError(number, field, str(_("This row repeats an earlier row of the file."))))
            continue
        existing = by_external.get(clean["external_id"]) if clean["external_id"] else None
        if existing is None:
            existing = by_order.get(clean["order_number"])
            if existing is not None and order_owner.get(clean["order_number"]) != existing.pk:
                existing = None  # an earlier row of the file gave this purchase another order number
            if existing is not None and clean["external_id"] and existing.external_id:
                message = _("Another purchase with a different external id has this order number.")
                result.errors.append(RowError(number, "order_number", str(message)))
                continue
        owner = order_owner.get(clean["order_number"])
        if owner is not None and (existing is None or owner != existing.pk):
            message = _("Another purchase already has this order number.")
            result.errors.append(RowError(number, "order_number", str(message)))
            continue
        seen.add(key)
        values = {name: clean[name] for name in PURCHASE_FIELDS if name in clean}
        values["customer_id"], values["product_id"] = customer.pk, product.pk
        _place(
            Purchase,
            existing,
            values,
            PURCHASE_FIELDS,
            natural="order_number",
            owners=order_owner,
            new=new,
            changed=changed,
            result=result,
        )
    result.errors.sort(key=lambda error: error.row)
    return _write(Purchase, result, new, changed, PURCHASE_FIELDS, dry_run)


# --- One record at a time: the API's creates and changes ------------------------------------------------------


def _unique_or_refuse(obj: models.Model, field: str, message: str | Promise) -> None:
    value = getattr(obj, field)
    if value and type(obj)._default_manager.filter(**{field: value}).exclude(pk=obj.pk).exists():
        raise ApplicationError(message, extra={"field": field})


def _record_save(obj: M, *, unique: dict[str, str | Promise], fields: list[str] | None = None) -> M:
    """Save ``obj`` after checking its unique values, so a taken email or code is a 400 naming the field; one taken
    by a request running at the same time is refused the same way (by the database's unique constraint)."""
    for field, message in unique.items():
        _unique_or_refuse(obj, field, message)
    try:
        with transaction.atomic():
            obj.save(update_fields=fields)
    except IntegrityError as exc:
        if not unique:
            raise
        field = next(iter(unique))
        raise ApplicationError(unique[field], extra={"field": field}) from exc
    return obj


def _changes_apply(obj: models.Model, changes: Mapping[str, Any], editable: tuple[str, ...]) -> list[str]:
    unknown = sorted(set(changes) - set(editable))
    if unknown:
        raise ApplicationError(_("This field cannot be changed here."), extra={"field": unknown[0]})
    changed = [name for name, value in changes.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, changes[name])
    return changed


def _customer_unique() -> dict[str, str | Promise]:
    return {
        "email": _("Another customer already has this email."),
        "external_id": _("Another customer already has this external id."),
    }


def _customer_values(values: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if "email" in clean:
        clean["email"] = customer_normalize_email(clean["email"])
        if len(clean["email"]) > EMAIL_MAX_LENGTH:
            raise ApplicationError(_("This email address is too long."), extra={"field": "email"})
    for name in ("name", "phone", "external_id"):
        if name in clean:
            clean[name] = clean[name].strip()
    return clean


def customer_create(
    *, email: str, name: str, phone: str = "", language: str = Language.EN, external_id: str = ""
) -> Customer:
    """A new customer. The email is stored lower-case; a taken email or external id is an ``ApplicationError``
    naming the field."""
    values = _customer_values(
        {"email": email, "name": name, "phone": phone, "language": language, "external_id": external_id}
    )
    return _record_save(Customer(**values), unique=_customer_unique())


def customer_update(*, customer: Customer, changes: Mapping[str, Any]) -> Customer:
    """Change some of a customer's ``CUSTOMER_FIELDS`` fields (the same checks as ``customer_create``). Nothing
    is written when nothing changes."""
    changed = _changes_apply(customer, _customer_values(changes), CUSTOMER_FIELDS)
    if not changed:
        return customer
    return _record_save(customer, unique=_customer_unique(), fields=changed)


def _product_unique() -> dict[str, str | Promise]:
    return {"code": _("Another product already has this code.")}


def product_create(
    *,
    code: str,
    name: str,
    price: Decimal,
    kind: str = Product.Kind.GOODS,
    currency: str = "",
    warranty_days: int = 0,
    is_active: bool = True,
) -> Product:
    """A new product in the catalogue (currency: the configured default when empty). A taken code is an
    ``ApplicationError`` naming the field."""
    product = Product(
        code=code,
        name=name.strip(),
        kind=kind,
        price=price,
        currency=(currency or default_currency()).upper(),
        warranty_days=warranty_days,
        is_active=is_active,
    )
    return _record_save(product, unique=_product_unique())


def product_update(*, product: Product, changes: Mapping[str, Any]) -> Product:
    """Change some of a product's ``PRODUCT_FIELDS`` fields; the code stays (purchases and imports use it)."""
    values = dict(changes)
    if "currency" in values:
        values["currency"] = values["currency"].upper()
    changed = _changes_apply(product, values, PRODUCT_FIELDS)
    if not changed:
        return product
    return _record_save(product, unique={}, fields=changed)


def _purchase_unique() -> dict[str, str | Promise]:
    return {
        "order_number": _("Another purchase already has this order number."),
        "external_id": _("Another purchase already has this external id."),
    }


def _purchase_check(purchase: Purchase) -> None:
    if purchase.service_start and purchase.service_end and purchase.service_end < purchase.service_start:
        raise ApplicationError(_("The service period cannot end before it starts."), extra={"field": "service_end"})


def _product_by_code(code: str) -> Product:
    product = Product.objects.filter(code=code).first()
    if product is None:
        raise ApplicationError(_("No product has this code."), extra={"field": "product"})
    return product


def _customer_by_id(customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise ApplicationError(_("There is no such customer."), extra={"field": "customer"})
    return customer


def purchase_create(
    *,
    customer_id: int,
    product_code: str,
    order_number: str,
    purchased_on: date,
    amount: Decimal,
    currency: str = "",
    service_start: datetime | None = None,
    service_end: datetime | None = None,
    external_id: str = "",
) -> Purchase:
    """A customer's purchase of a product (currency: the product's when empty). An unknown customer or product,
    a taken order number or external id, or a service period that ends before it starts is an
    ``ApplicationError`` naming the field."""
    customer, product = _customer_by_id(customer_id), _product_by_code(product_code)
    purchase = Purchase(
        customer=customer,
        product=product,
        order_number=order_number.strip(),
        purchased_on=purchased_on,
        amount=amount,
        currency=(currency or product.currency).upper(),
        service_start=service_start,
        service_end=service_end,
        external_id=external_id.strip(),
    )
    _purchase_check(purchase)
    return _record_save(purchase, unique=_purchase_unique())


def purchase_update(*, purchase: Purchase, changes: Mapping[str, Any]) -> Purchase:
    """Change some of a purchase's fields (``customer_id``, ``product_code`` and the ``PURCHASE_FIELDS``
    ones), with the checks of ``purchase_create``."""
    values = dict(changes)
    if "customer_id" in values:
        values["customer_id"] = _customer_by_id(values["customer_id"]).pk
    if "product_code" in values:
        values["product_id"] = _product_by_code(values.pop("product_code")).pk
    if "currency" in values:
        values["currency"] = values["currency"].upper()
    changed = _changes_apply(purchase, values, PURCHASE_FIELDS)
    _purchase_check(purchase)
    if not changed:
        return purchase
    _record_save(purchase, unique=_purchase_unique(), fields=changed)
    # The answer shows the purchase's customer and product: reload them after a change of either.
    return Purchase.objects.select_related("customer", "product").get(pk=purchase.pk)
