"""Importing customers, products and purchases: validation per field, upserts, dry runs, CSV reading."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from customers.imports import ImportFileError, parse_csv
from customers.models import Customer, Product, Purchase
from customers.services import customers_import, products_import, purchases_import
from tests.factories import CustomerFactory, ProductFactory, PurchaseFactory

pytestmark = pytest.mark.django_db


def _errors(result: Any) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.message) for e in result.errors]


def _customer(n: int, **over: str) -> dict[str, str]:
    row = {"external_id": f"C{n}", "email": f"c{n}@example.com", "name": f"Customer {n}", "language": "en"}
    row.update(over)
    return row


def _purchase(n: int, **over: str) -> dict[str, str]:
    row = {
        "external_id": f"P{n}",
        "order_number": f"ORD-{n}",
        "customer_external_id": f"C{n}",
        "product_code": "kettle",
        "purchased_on": "2026-03-01",
        "amount": "1990.00",
        "currency": "RUB",
    }
    row.update(over)
    return row


# --- validation, field by field ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_customer(1, email=""), "email", "This field is required."),
        (_customer(1, email="not-an-email"), "email", "Enter a valid email address."),
        (_customer(1, name=""), "name", "This field is required."),
        (_customer(1, phone="1" * 41), "phone", "At most 40 characters."),
        (_customer(1, language="de"), "language", "Use one of: en, ru."),
        (_customer(1, external_id="x" * 65), "external_id", "At most 64 characters."),
    ],
)
def test_each_customer_field_is_checked(row: dict[str, str], field: str, message: str) -> None:
    result = customers_import([row])
    assert _errors(result) == [(1, field, message)]
    assert result.created == 0
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"code": "not a slug"}, "code", "Use only letters, digits, hyphens and underscores."),
        ({"name": ""}, "name", "This field is required."),
        ({"kind": "service"}, "kind", "Use one of: goods, subscription."),
        ({"price": "abc"}, "price", "Enter an amount such as 1299.00."),
        ({"price": "-1"}, "price", "Enter an amount of zero or more."),
        ({"price": "1.999"}, "price", "Use at most two decimal places."),
        ({"price": ""}, "price", "This field is required."),
        ({"currency": "RUBL"}, "currency", "Use a three-letter ISO 4217 currency code."),
        ({"warranty_days": "-3"}, "warranty_days", "Enter a whole number of days, zero or more."),
        ({"is_active": "maybe"}, "is_active", "Use true or false."),
    ],
)
def test_each_product_field_is_checked(over: dict[str, str], field: str, message: str) -> None:
    row = {"code": "kettle", "name": "Kettle", "price": "1990", "kind": "goods", **over}
    assert _errors(products_import([row])) == [(1, field, message)]


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"order_number": ""}, "order_number", "This field is required."),
        (
            {"customer_external_id": "", "customer_email": ""},
            "customer_email",
            "Give the customer's external id or email.",
        ),
        (
            {"customer_external_id": "NOPE"},
            "customer_external_id",
            "No customer has this external id; import the customers first.",
        ),
        (
            {"customer_external_id": "", "customer_email": "who@example.com"},
            "customer_email",
            "No customer has this email; import the customers first.",
        ),
        ({"product_code": "toaster"}, "product_code", "No product has this code; import the products first."),
        ({"purchased_on": "01.03.2026"}, "purchased_on", "Enter a date as YYYY-MM-DD."),
        ({"amount": "12,50"}, "amount", "Enter an amount such as 1299.00."),
        ({"currency": "12"}, "currency", "Use a three-letter ISO 4217 currency code."),
        (
            {"service_start": "yesterday"},
            "service_start",
            "Enter a date and time as YYYY-MM-DDTHH:MM, with an optional time zone.",
        ),
        (
            {"service_start": "2026-03-02T00:00:00+03:00", "service_end": "2026-03-01T00:00:00+03:00"},
            "service_end",
            "The service period cannot end before it starts.",
        ),
    ],
)
def test_each_purchase_field_is_checked(over: dict[str, str], field: str, message: str) -> None:
    CustomerFactory(email="c1@example.com", external_id="C1")
    ProductFactory(code="kettle")
    assert _errors(purchases_import([_purchase(1, **over)])) == [(1, field, message)]
    assert not Purchase.objects.exists()


def test_messages_are_in_the_staff_members_language() -> None:
    with translation.override("ru"):
        result = customers_import([_customer(1, email="", name="Ann")])
    assert _errors(result) == [(1, "email", "Обязательное поле.")]


def test_a_missing_required_column_refuses_the_whole_file() -> None:
    with pytest.raises(ImportFileError, match=r"Required column missing: price\."):
        products_import([{"code": "kettle", "name": "Kettle"}])


# --- upserts ----------------------------------------------------------------------------------------------


def test_the_same_customers_twice_change_nothing_the_second_time() -> None:
    rows = [_customer(n) for n in range(5)]
    first = customers_import(rows)
    assert (first.created, first.updated, first.unchanged, first.errors) == (5, 0, 0, [])
    second = customers_import(rows)
    assert (second.created, second.updated, second.unchanged, second.errors) == (0, 0, 5, [])
    assert Customer.objects.count() == 5


def test_a_changed_row_updates_the_customer_found_by_external_id() -> None:
    customers_import([_customer(1)])
    result = customers_import([_customer(1, email="New@Example.com", name="Renamed", language="ru")])
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    customer = Customer.objects.get(external_id="C1")
    assert (customer.email, customer.name, customer.language) == ("new@example.com", "Renamed", "ru")


def test_customers_without_external_id_are_matched_by_email() -> None:
    existing: Any = CustomerFactory(email="ann@example.com", name="Ann")
    result = customers_import([{"email": "ANN@example.com", "name": "Ann Smith", "phone": "+7 900 000 00 00"}])
    assert (result.created, result.updated) == (0, 1)
    existing.refresh_from_db()
    assert (existing.name, existing.phone) == ("Ann Smith", "+7 900 000 00 00")


def test_an_email_taken_by_another_customer_is_reported_not_written() -> None:
    CustomerFactory(email="taken@example.com", external_id="OTHER")
    result = customers_import([_customer(1, email="taken@example.com"), _customer(2)])
    assert _errors(result) == [(1, "email", "Another customer with a different external id has this email.")]
    assert result.created == 1
    assert list(Customer.objects.filter(external_id="C2").values_list("email", flat=True)) == ["c2@example.com"]


def test_a_new_customer_may_take_the_email_another_one_gave_up_in_the_same_file() -> None:
    customers_import([_customer(1, email="shared@example.com")])
    result = customers_import([_customer(1, email="new@example.com"), _customer(2, email="shared@example.com")])
    assert (result.created, result.updated, result.errors) == (1, 1, [])
    assert dict(Customer.objects.values_list("external_id", "email")) == {
        "C1": "new@example.com",
        "C2": "shared@example.com",
    }


def test_a_row_repeated_in_the_file_is_reported() -> None:
    result = customers_import([_customer(1), _customer(1, name="Again")])
    assert _errors(result) == [(2, "external_id", "This row repeats an earlier row of the file.")]
    assert Customer.objects.get().name == "Customer 1"


def test_products_are_upserted_by_code() -> None:
    ProductFactory(code="kettle", name="Kettle", price=Decimal("1990.00"), currency="RUB", warranty_days=365)
    rows = [
        {"code": "kettle", "name": "Kettle", "price": "1990.00", "currency": "RUB", "warranty_days": "365"},
        {"code": "tv-plan", "name": "TV", "kind": "subscription", "price": "499", "currency": "rub", "is_active": "no"},
    ]
    result = products_import(rows)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)
    plan = Product.objects.get(code="tv-plan")
    assert (plan.kind, plan.price, plan.currency, plan.is_active) == ("subscription", Decimal("499.00"), "RUB", False)
    again = products_import([{**rows[0], "price": "2190"}])
    assert (again.updated, Product.objects.get(code="kettle").price) == (1, Decimal("2190.00"))


def test_purchases_link_customers_by_external_id_and_by_email() -> None:
    by_id: Any = CustomerFactory(email="a@example.com", external_id="C1")
    by_email: Any = CustomerFactory(email="b@example.com")
    product: Any = ProductFactory(code="kettle")
    rows = [
        _purchase(1, service_start="2026-03-01T10:00", service_end="2026-04-01T10:00:00+03:00"),
        _purchase(2, customer_external_id="", customer_email="B@example.com", external_id=""),
    ]
    result = purchases_import(rows)
    assert (result.created, result.errors) == (2, [])
    first = Purchase.objects.get(external_id="P1")
    assert (first.customer, first.product, first.purchased_on) == (by_id, product, date(2026, 3, 1))
    assert first.service_start is not None
    assert first.service_end is not None
    assert Purchase.objects.get(order_number="ORD-2").customer == by_email
    second = purchases_import(rows)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)


def test_a_purchase_changed_in_billing_is_updated_by_order_number() -> None:
    CustomerFactory(email="c1@example.com", external_id="C1")
    ProductFactory(code="kettle")
    existing: Any = PurchaseFactory(order_number="ORD-1", amount=Decimal("10.00"), currency="RUB")
    result = purchases_import([_purchase(1, external_id="", amount="1500.50")])
    assert (result.created, result.updated) == (0, 1)
    existing.refresh_from_db()
    assert (existing.amount, existing.customer.external_id) == (Decimal("1500.50"), "C1")


def test_rows_with_mistakes_do_not_block_the_others() -> None:
    CustomerFactory(email="c1@example.com", external_id="C1")
    CustomerFactory(email="c3@example.com", external_id="C3")
    ProductFactory(code="kettle")
    result = purchases_import([_purchase(1), _purchase(2), _purchase(3, amount="-5")])
    assert [(e.row, e.field) for e in result.errors] == [(2, "customer_external_id"), (3, "amount")]
    assert list(Purchase.objects.values_list("order_number", flat=True)) == ["ORD-1"]


def test_a_dry_run_counts_but_writes_nothing() -> None:
    customers_import([_customer(1)])
    result = customers_import([_customer(1, name="Changed"), _customer(2), _customer(3, email="bad")], dry_run=True)
    assert (result.created, result.updated, result.unchanged, result.dry_run) == (1, 1, 0, True)
    assert [(e.row, e.field) for e in result.errors] == [(3, "email")]
    assert list(Customer.objects.values_list("name", flat=True)) == ["Customer 1"]


@pytest.mark.parametrize("count", [10, 500])
def test_the_number_of_queries_does_not_grow_with_the_rows(count: int, django_assert_max_num_queries: Any) -> None:
    customers_import([_customer(n) for n in range(count)])
    ProductFactory(code="kettle")
    rows = [_purchase(n) for n in range(count)]
    with django_assert_max_num_queries(10):
        assert purchases_import(rows).created == count
    changed = [_customer(n, name=f"Renamed {n}") for n in range(count)]
    with django_assert_max_num_queries(8):
        assert customers_import(changed).updated == count


# --- CSV ----------------------------------------------------------------------------------------------------


def test_csv_with_a_bom_and_semicolons_is_read() -> None:
    data = '\ufeffemail;name;language\nann@example.com;Ann;ru\n\nbob@example.com;"Bob; Jr";en\n'.encode()
    assert parse_csv(data) == [
        {"email": "ann@example.com", "name": "Ann", "language": "ru"},
        {"email": "bob@example.com", "name": "Bob; Jr", "language": "en"},
    ]


def test_csv_with_commas_is_read() -> None:
    assert parse_csv(b"code,name,price\nkettle,Kettle,1990.00\n") == [
        {"code": "kettle", "name": "Kettle", "price": "1990.00"}
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty: a header row is required."),
        ("email;name\nÿ;x\n".encode("latin-1"), "The file is not UTF-8 text. Save it as CSV UTF-8 and try again."),
    ],
)
def test_an_unreadable_csv_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ImportFileError) as error:
        parse_csv(data)
    assert error.value.message == message
