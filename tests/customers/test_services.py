"""Customers: recognising a repeat customer, and finding only their own purchases."""

from typing import cast

import pytest

from customers.models import Customer, Purchase
from customers.selectors import purchase_find_for_customer
from customers.services import customer_get_or_create_by_email, customer_normalize_email
from tests.factories import CustomerFactory, PurchaseFactory


def _customer(email: str) -> Customer:
    return cast(Customer, CustomerFactory(email=email))


def _purchase(customer: Customer, order_number: str) -> Purchase:
    return cast(Purchase, PurchaseFactory(customer=customer, order_number=order_number))


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Alice@Example.COM", "alice@example.com"),
        ("  alice@example.com\n", "alice@example.com"),
        ("ALICE@EXAMPLE.COM ", "alice@example.com"),
        ("alice@example.com", "alice@example.com"),
    ],
)
def test_emails_are_normalised(raw: str, normalised: str) -> None:
    assert customer_normalize_email(raw) == normalised


@pytest.mark.django_db
def test_a_first_contact_creates_the_customer() -> None:
    customer = customer_get_or_create_by_email(
        email=" Alice@Example.com ", name="  Alice Example ", phone=" +7 912 345-67-89 ", language="ru"
    )

    customer.refresh_from_db()
    assert (customer.email, customer.name, customer.phone, customer.language) == (
        "alice@example.com",
        "Alice Example",
        "+7 912 345-67-89",
        "ru",
    )


@pytest.mark.django_db
def test_a_repeat_customer_is_the_same_record_whatever_the_case() -> None:
    first = customer_get_or_create_by_email(email="alice@example.com", name="Alice Example")
    second = customer_get_or_create_by_email(email="ALICE@example.COM", name="A. Example")

    assert second.pk == first.pk
    assert Customer.objects.count() == 1
    second.refresh_from_db()
    assert second.name == "Alice Example"  # the record on file is kept


@pytest.mark.django_db
def test_the_phone_is_filled_once_and_then_kept() -> None:
    customer_get_or_create_by_email(email="alice@example.com", name="Alice")
    customer_get_or_create_by_email(email="alice@example.com", name="Alice", phone="+7 900 000-00-01")
    customer = customer_get_or_create_by_email(email="alice@example.com", name="Alice", phone="+7 900 000-00-02")

    customer.refresh_from_db()
    assert customer.phone == "+7 900 000-00-01"


@pytest.mark.django_db
def test_the_latest_language_choice_is_remembered() -> None:
    customer_get_or_create_by_email(email="alice@example.com", name="Alice", language="en")
    customer_get_or_create_by_email(email="alice@example.com", name="Alice", language="ru")

    assert Customer.objects.get().language == "ru"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["", "fr"])
def test_no_or_an_unknown_language_keeps_the_one_on_file(language: str) -> None:
    customer_get_or_create_by_email(email="alice@example.com", name="Alice", language="ru")
    customer_get_or_create_by_email(email="alice@example.com", name="Alice", language=language)

    assert Customer.objects.get().language == "ru"


@pytest.mark.django_db
def test_an_unknown_language_on_first_contact_falls_back_to_english() -> None:
    customer = customer_get_or_create_by_email(email="alice@example.com", name="Alice", language="fr")

    assert customer.language == "en"


@pytest.mark.django_db
def test_a_customer_s_own_order_is_found_whatever_the_case() -> None:
    alice = _customer(email="alice@example.com")
    purchase = _purchase(customer=alice, order_number="ORD-100500")

    assert purchase_find_for_customer(customer=alice, order_number="ORD-100500") == purchase
    assert purchase_find_for_customer(customer=alice, order_number=" ord-100500 ") == purchase


@pytest.mark.django_db
def test_another_customer_s_order_is_never_found() -> None:
    alice = _customer(email="alice@example.com")
    mallory = _customer(email="mallory@example.com")
    _purchase(customer=mallory, order_number="ORD-200600")

    assert purchase_find_for_customer(customer=alice, order_number="ORD-200600") is None
    assert purchase_find_for_customer(customer=mallory, order_number="ORD-200600") is not None


@pytest.mark.django_db
@pytest.mark.parametrize("order_number", ["", "   ", "ORD-404404"])
def test_no_or_an_unknown_order_number_finds_nothing(order_number: str) -> None:
    alice = _customer(email="alice@example.com")
    _purchase(customer=alice, order_number="ORD-100500")

    assert purchase_find_for_customer(customer=alice, order_number=order_number) is None
