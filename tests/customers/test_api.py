# ruff: noqa: RUF001 - the Russian messages are meant to be Cyrillic.
"""Customers, products and purchases through the REST API: staff read, managers write."""

from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Customer, Product, Purchase
from tests.api_clients import token_client
from tests.factories import CustomerFactory, ProductFactory, PurchaseFactory, submit_complaint

CUSTOMERS = "/api/v1/customers/"
PRODUCTS = "/api/v1/products/"
PURCHASES = "/api/v1/purchases/"


def customer(**fields: Any) -> Customer:
    return cast(Customer, CustomerFactory(**fields))


def product(**fields: Any) -> Product:
    return cast(Product, ProductFactory(**fields))


def purchase(**fields: Any) -> Purchase:
    return cast(Purchase, PurchaseFactory(**fields))


def _results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


# --- who may do what --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [CUSTOMERS, PRODUCTS, PURCHASES])
def test_anonymous_callers_are_told_to_sign_in(url: str) -> None:
    customer(email="ann@example.com")

    response = APIClient().get(url)

    assert response.status_code == 401
    assert "ann@example.com" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", [CUSTOMERS, PRODUCTS, PURCHASES])
def test_outsiders_may_not_read(outsider_dave: Any, url: str) -> None:
    assert token_client(outsider_dave).get(url).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["agent_bob", "lead_tess"])
def test_agents_and_team_leads_read_but_do_not_write(role: str, request: pytest.FixtureRequest) -> None:
    client = token_client(request.getfixturevalue(role))
    ann = customer(email="ann@example.com")
    kettle = product(code="kettle")

    assert client.get(CUSTOMERS).status_code == 200
    assert client.get(f"{PRODUCTS}kettle/").status_code == 200
    assert client.post(CUSTOMERS, {"email": "new@example.com", "name": "New"}).status_code == 403
    assert client.patch(f"{CUSTOMERS}{ann.pk}/", {"name": "Changed"}).status_code == 403
    assert client.patch(f"{PRODUCTS}{kettle.code}/", {"name": "Changed"}).status_code == 403
    assert client.post(PURCHASES, {"customer": ann.pk, "product": "kettle"}).status_code == 403
    assert Customer.objects.get(pk=ann.pk).name != "Changed"
    assert not Customer.objects.filter(email="new@example.com").exists()


# --- customers --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_manager_adds_a_customer_with_the_email_stored_lower_case(manager_carol: Any) -> None:
    response = token_client(manager_carol).post(
        CUSTOMERS, {"email": " Ann@Example.COM ", "name": "Ann Example", "language": "ru", "external_id": "CRM-1"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "ann@example.com"
    assert body["language"] == "ru"
    assert Customer.objects.get(pk=body["id"]).external_id == "CRM-1"


@pytest.mark.django_db
def test_a_taken_email_is_a_400_naming_the_field_in_the_callers_language(manager_carol: Any) -> None:
    customer(email="ann@example.com")

    response = token_client(manager_carol, language="ru").post(CUSTOMERS, {"email": "ANN@example.com", "name": "Ann"})

    assert response.status_code == 400
    assert response.json() == {
        "message": "Этот адрес электронной почты уже у другого клиента.",
        "code": "invalid",
        "extra": {"field": "email"},
    }
    assert Customer.objects.count() == 1


@pytest.mark.django_db
def test_missing_fields_are_named_in_russian(manager_carol: Any) -> None:
    response = token_client(manager_carol, language="ru").post(CUSTOMERS, {"email": "not an email"})

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"email", "name"}
    assert body["name"] == ["Обязательное поле."]


@pytest.mark.django_db
def test_a_manager_changes_a_customer_but_not_onto_a_taken_external_id(manager_carol: Any) -> None:
    customer(email="bob@example.com", external_id="CRM-2")
    ann = customer(email="ann@example.com")
    client = token_client(manager_carol)

    changed = client.patch(f"{CUSTOMERS}{ann.pk}/", {"name": "Ann Changed", "phone": "+7 900 000-00-00"})
    taken = client.patch(f"{CUSTOMERS}{ann.pk}/", {"external_id": "CRM-2"})

    assert changed.status_code == 200
    assert changed.json()["name"] == "Ann Changed"
    assert taken.status_code == 400
    assert taken.json()["extra"] == {"field": "external_id"}
    ann.refresh_from_db()
    assert (ann.name, ann.external_id) == ("Ann Changed", "")


@pytest.mark.django_db
def test_an_unknown_customer_is_404(agent_bob: Any) -> None:
    assert token_client(agent_bob).get(f"{CUSTOMERS}999999/").status_code == 404
    assert token_client(agent_bob).get(f"{CUSTOMERS}999999/purchases/").status_code == 404


@pytest.mark.django_db
def test_customers_are_filtered_by_email_external_id_text_and_creation_time(agent_bob: Any) -> None:
    now = timezone.now()
    ann = customer(email="ann@example.com", name="Ann Smith", external_id="CRM-1")
    bob = customer(email="bob@shop.example.com", name="Bob Jones")
    old = customer(email="old@example.com", name="Old Timer")
    Customer.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=30))
    client = token_client(agent_bob)

    def emails(**params: str) -> list[str]:
        return [row["email"] for row in _results(client.get(CUSTOMERS, params))]

    assert emails(email="ANN@example.com") == [ann.email]
    assert emails(external_id="CRM-1") == [ann.email]
    assert emails(q="jones") == [bob.email]
    assert emails(q="shop.example") == [bob.email]
    assert emails(created_before=(now - timedelta(days=1)).isoformat()) == [old.email]
    assert sorted(emails(created_after=(now - timedelta(days=1)).isoformat())) == [ann.email, bob.email]


@pytest.mark.django_db
def test_customers_are_ordered_by_name_a_page_at_a_time(agent_bob: Any) -> None:
    for name in ("Cid", "Ann", "Eve", "Bob", "Dan"):
        customer(email=f"{name.lower()}@example.com", name=name)
    client = token_client(agent_bob)

    first = client.get(CUSTOMERS, {"ordering": "name", "page_size": "3"}).json()
    second = client.get(first["next"]).json()
    descending = _results(client.get(CUSTOMERS, {"ordering": "-name", "page_size": "2"}))

    assert [row["name"] for row in first["results"]] == ["Ann", "Bob", "Cid"]
    assert [row["name"] for row in second["results"]] == ["Dan", "Eve"]
    assert second["next"] is None
    assert [row["name"] for row in descending] == ["Eve", "Dan"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-13-45T00:00:00Z"}, "created_before"),
        ({"created_after": "0001-01-01T00:00:00+05:00"}, "created_after"),
        ({"ordering": "email"}, "ordering"),
        ({"ordering": ""}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "lots"}, "page_size"),
        ({"page_size": "201"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "cD14"}, "cursor"),  # a well-formed cursor whose position is no creation time
    ],
)
def test_malformed_query_parameters_are_a_400_naming_them(agent_bob: Any, params: dict[str, str], field: str) -> None:
    customer()

    response = token_client(agent_bob).get(CUSTOMERS, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.django_db
def test_a_bad_date_is_explained_in_russian(agent_bob: Any) -> None:
    response = token_client(agent_bob, language="ru").get(CUSTOMERS, {"created_after": "вчера"})

    assert response.status_code == 400
    assert response.json() == {"created_after": ["Введите правильную дату и время."]}


LIST_MAX_QUERIES = 4  # the token, the page; the session and savepoints stay out of a token request


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", [5, 50])
@pytest.mark.parametrize("url", [CUSTOMERS, PRODUCTS, PURCHASES])
def test_each_list_costs_the_same_few_queries_for_any_page_size(
    agent_bob: Any, page_size: int, url: str, django_assert_max_num_queries: Any
) -> None:
    for _ in range(page_size):
        purchase()
    client = token_client(agent_bob)

    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = client.get(url, {"page_size": page_size})

    assert len(_results(response)) == page_size


@pytest.mark.django_db
def test_a_customers_purchases_and_complaints(agent_bob: Any) -> None:
    complaint = submit_complaint(email="ann@example.com")
    ann = complaint.customer
    mine = purchase(customer=ann)
    purchase()
    client = token_client(agent_bob)

    purchases = _results(client.get(f"{CUSTOMERS}{ann.pk}/purchases/"))
    complaints = _results(client.get(f"{CUSTOMERS}{ann.pk}/complaints/"))

    assert [row["order_number"] for row in purchases] == [mine.order_number]
    assert [row["reference"] for row in complaints] == [complaint.reference]


# --- products ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_manager_adds_and_changes_a_product(manager_carol: Any) -> None:
    client = token_client(manager_carol)

    created = client.post(
        PRODUCTS, {"code": "hosting-pro", "name": "Hosting Pro", "kind": "subscription", "price": "720.50"}
    )
    changed = client.patch(f"{PRODUCTS}hosting-pro/", {"price": "800", "is_active": False})

    assert created.status_code == 201, created.content
    assert created.json()["price"] == "720.50"
    assert created.json()["currency"] == "RUB"
    assert changed.status_code == 200
    assert (changed.json()["price"], changed.json()["is_active"]) == ("800.00", False)
    product = Product.objects.get(code="hosting-pro")
    assert (product.price, product.kind, product.is_active) == (Decimal("800.00"), "subscription", False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"code": "kettle", "name": "Kettle again", "price": "10"}, "code"),
        ({"code": "with space", "name": "Kettle", "price": "10"}, "code"),
        ({"code": "mug", "name": "Mug", "price": "-1"}, "price"),
        ({"code": "mug", "name": "Mug", "price": "1.001"}, "price"),
        ({"code": "mug", "name": "Mug", "price": "10", "currency": "RUBLES"}, "currency"),
    ],
)
def test_a_refused_product_is_a_400(manager_carol: Any, data: dict[str, str], field: str) -> None:
    product(code="kettle")

    response = token_client(manager_carol).post(PRODUCTS, data)

    assert response.status_code == 400
    body = response.json()
    assert body.get("extra", {}).get("field") == field or list(body) == [field]
    assert Product.objects.count() == 1


@pytest.mark.django_db
def test_products_are_filtered_by_kind_and_sale_and_ordered(agent_bob: Any) -> None:
    product(code="b-kettle", name="Kettle")
    product(code="a-hosting", name="Hosting", kind=Product.Kind.SUBSCRIPTION)
    product(code="c-toaster", name="Toaster", is_active=False)
    client = token_client(agent_bob)

    def codes(**params: str) -> list[str]:
        return [row["code"] for row in _results(client.get(PRODUCTS, params))]

    assert codes() == ["a-hosting", "b-kettle", "c-toaster"]
    assert codes(kind="subscription") == ["a-hosting"]
    assert codes(is_active="false") == ["c-toaster"]
    assert codes(ordering="-name") == ["c-toaster", "b-kettle", "a-hosting"]
    assert client.get(PRODUCTS, {"kind": "food"}).status_code == 400
    assert client.get(PRODUCTS, {"kind": ""}).status_code == 400
    assert client.get(f"{PRODUCTS}no-such-product/").status_code == 404


# --- purchases --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_manager_records_a_purchase_in_the_products_currency(manager_carol: Any) -> None:
    ann = customer(email="ann@example.com")
    product(code="kettle", price=Decimal("2990.00"), currency="EUR")

    response = token_client(manager_carol).post(
        PURCHASES,
        {
            "customer": ann.pk,
            "product": "kettle",
            "order_number": "A-1",
            "purchased_on": "2026-11-30",
            "amount": "29.9",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["customer"], body["customer_email"], body["product"]) == (ann.pk, "ann@example.com", "kettle")
    assert (body["amount"], body["currency"]) == ("29.90", "EUR")
    assert Purchase.objects.get(order_number="A-1").amount == Decimal("29.90")


@pytest.mark.django_db
def test_an_amount_given_as_a_json_number_is_refused_as_the_schema_says(manager_carol: Any) -> None:
    ann = customer(email="ann@example.com")
    product(code="kettle")
    data = {"customer": ann.pk, "product": "kettle", "order_number": "A-1", "purchased_on": "2026-11-30"}

    response = token_client(manager_carol).post(PURCHASES, {**data, "amount": 29.9})

    assert response.status_code == 400
    assert response.json()["amount"] == ['Give the amount as a string of digits, for example "12.50".']
    assert not Purchase.objects.filter(order_number="A-1").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"product": "no-such-product"}, "product"),
        ({"customer": 999999}, "customer"),
        ({"order_number": "TAKEN-1"}, "order_number"),
        ({"service_start": "2026-12-01T00:00:00Z", "service_end": "2026-11-01T00:00:00Z"}, "service_end"),
    ],
)
def test_a_refused_purchase_is_a_400_naming_the_field(manager_carol: Any, change: dict[str, Any], field: str) -> None:
    ann = customer(email="ann@example.com")
    product(code="kettle")
    purchase(order_number="TAKEN-1")
    data = {"customer": ann.pk, "product": "kettle", "order_number": "A-1", "purchased_on": "2026-11-30", "amount": "1"}

    response = token_client(manager_carol).post(PURCHASES, {**data, **change})

    assert response.status_code == 400
    assert response.json()["extra"] == {"field": field}
    assert not Purchase.objects.filter(order_number="A-1").exists()


@pytest.mark.django_db
def test_a_manager_moves_a_purchase_to_another_product(manager_carol: Any) -> None:
    bought = purchase(order_number="A-1")
    product(code="toaster")

    response = token_client(manager_carol).patch(f"{PURCHASES}{bought.pk}/", {"product": "toaster"})

    assert response.status_code == 200
    assert response.json()["product"] == "toaster"
    assert Purchase.objects.get(pk=bought.pk).product.code == "toaster"


@pytest.mark.django_db
def test_purchases_are_filtered_and_ordered(agent_bob: Any) -> None:
    ann = customer(email="ann@example.com")
    kettle = product(code="kettle")
    today = timezone.localdate()
    old = purchase(customer=ann, product=kettle, order_number="OLD", purchased_on=today - timedelta(days=40))
    new = purchase(customer=ann, order_number="NEW", external_id="BILL-7")
    purchase(order_number="OTHER")
    client = token_client(agent_bob)

    def orders(**params: Any) -> list[str]:
        return [row["order_number"] for row in _results(client.get(PURCHASES, params))]

    assert orders(customer=ann.pk) == [new.order_number, old.order_number]
    assert orders(product="kettle") == ["OLD"]
    assert orders(order_number="OTHER") == ["OTHER"]
    assert orders(external_id="BILL-7") == ["NEW"]
    assert orders(purchased_before=(today - timedelta(days=1)).isoformat()) == ["OLD"]
    assert orders(customer=ann.pk, purchased_after=today.isoformat(), ordering="id") == ["NEW"]
    assert orders(customer=ann.pk, ordering="purchased_on") == ["OLD", "NEW"]
    assert client.get(PURCHASES, {"customer": "1.5"}).status_code == 400
    assert client.get(PURCHASES, {"purchased_after": "30/11/2026"}).status_code == 400
