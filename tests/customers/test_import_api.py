"""POST /api/v1/imports/<customers|products|purchases>/: managers upsert rows from JSON or a CSV upload."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from customers.imports import MAX_ROWS
from customers.models import Customer, Product, Purchase
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/imports/customers/"
PRODUCTS = "/api/v1/imports/products/"
PURCHASES = "/api/v1/imports/purchases/"


def _client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_agent_may_not_import(agent_bob: Any) -> None:
    response = _client_for(agent_bob).post(CUSTOMERS, {"rows": []}, format="json")
    assert response.status_code == 403
    assert APIClient().post(CUSTOMERS, {"rows": []}, format="json").status_code in (401, 403)


def test_a_manager_imports_customers_from_json(manager_carol: Any) -> None:
    rows = [{"external_id": "C1", "email": "ann@example.com", "name": "Ann"}, {"email": "bad", "name": "Bob"}]
    response = _client_for(manager_carol).post(CUSTOMERS, {"rows": rows}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "dry_run": False,
        "errors": [{"row": 2, "field": "email", "message": "Enter a valid email address."}],
    }
    assert list(Customer.objects.values_list("email", flat=True)) == ["ann@example.com"]


def test_a_dry_run_through_the_api_writes_nothing(manager_carol: Any) -> None:
    rows = [{"code": "kettle", "name": "Kettle", "price": "1990"}]
    response = _client_for(manager_carol).post(PRODUCTS, {"rows": rows, "dry_run": True}, format="json")
    assert (response.status_code, response.json()["created"], response.json()["dry_run"]) == (200, 1, True)
    assert not Product.objects.exists()


def test_a_manager_uploads_a_purchases_csv_with_a_bom_and_semicolons(manager_carol: Any) -> None:
    CustomerFactory(email="ann@example.com")
    ProductFactory(code="kettle")
    data = (
        "\ufefforder_number;customer_email;product_code;purchased_on;amount\n"
        "ORD-1;ann@example.com;kettle;2026-03-01;1990,00\n"
        "ORD-2;ann@example.com;kettle;2026-03-02;1990.00\n"
    )
    upload = SimpleUploadedFile("purchases.csv", data.encode(), content_type="text/csv")
    response = _client_for(manager_carol).post(PURCHASES, {"file": upload}, format="multipart")
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["errors"]) == (
        1,
        [{"row": 1, "field": "amount", "message": "Enter an amount such as 1299.00."}],
    )
    assert list(Purchase.objects.values_list("order_number", flat=True)) == ["ORD-2"]


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"\xff\xfe\x00garbage", "The file is not UTF-8 text. Save it as CSV UTF-8 and try again."),
        (b"email,phone\nann@example.com,1\n", "Required column missing: name."),
    ],
)
def test_an_unreadable_file_is_refused(manager_carol: Any, data: bytes, detail: str) -> None:
    upload = SimpleUploadedFile("customers.csv", data, content_type="text/csv")
    response = _client_for(manager_carol).post(CUSTOMERS, {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["detail"] == detail


def test_more_than_the_row_limit_is_refused(manager_carol: Any) -> None:
    rows: list[dict[str, str]] = [{}] * (MAX_ROWS + 1)
    response = _client_for(manager_carol).post(CUSTOMERS, {"rows": rows}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "At most 100,000 rows can be imported at once; split the file."


def test_a_body_without_rows_is_refused(manager_carol: Any) -> None:
    response = _client_for(manager_carol).post(CUSTOMERS, {"rows": "nope"}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("count", [10, 500])
def test_the_import_endpoint_runs_a_bounded_number_of_queries(
    manager_carol: Any, count: int, django_assert_max_num_queries: Any
) -> None:
    client = _client_for(manager_carol)
    rows = [{"external_id": f"C{n}", "email": f"c{n}@example.com", "name": f"C {n}"} for n in range(count)]
    with django_assert_max_num_queries(12):
        response = client.post(CUSTOMERS, {"rows": rows}, format="json")
    assert response.json()["created"] == count


def test_the_import_endpoints_are_in_the_schema() -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    for url in (CUSTOMERS, PRODUCTS, PURCHASES):
        assert "post" in schema["paths"][url]


def test_an_email_handed_on_within_one_file_that_the_database_refuses_is_a_clear_400(manager_carol: Any) -> None:
    CustomerFactory(external_id="A", email="ann@example.com", name="Ann")
    CustomerFactory(external_id="B", email="bob@example.com", name="Bob")
    # Bob gives up his address and Ann takes it: allowed row by row, but the one UPDATE meets Ann's row first.
    rows = [
        {"external_id": "B", "email": "robert@example.com", "name": "Bob"},
        {"external_id": "A", "email": "bob@example.com", "name": "Ann"},
    ]

    response = _client_for(manager_carol).post(CUSTOMERS, {"rows": rows}, format="json")

    assert response.status_code == 400
    assert "Nothing was imported" in response.json()["detail"]
    assert sorted(Customer.objects.values_list("external_id", "email")) == [
        ("A", "ann@example.com"),
        ("B", "bob@example.com"),
    ]
