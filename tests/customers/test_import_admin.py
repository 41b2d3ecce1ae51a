"""The admin's "Import CSV" page: upload, preview without saving, confirm."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from customers.models import Customer, Product
from tests.factories import agent, manager

pytestmark = pytest.mark.django_db

URL = "/admin/customers/customer/import/"
CSV = b"external_id,email,name,language\nC1,ann@example.com,Ann,ru\nC2,not-an-email,Bob,en\nC3,cid@example.com,Cid,\n"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_previews_then_confirms_an_import() -> None:
    client = _client(manager("carol", is_staff=True))
    changelist = client.get("/admin/customers/customer/")
    assert "Import CSV" in changelist.content.decode()
    upload = SimpleUploadedFile("customers.csv", CSV, content_type="text/csv")
    preview = client.post(URL, {"file": upload})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "Preview: nothing has been saved yet" in page
    assert "2 will be created, 0 updated, 0 are unchanged, 1 have mistakes" in page
    assert "Enter a valid email address." in page
    assert "cid@example.com" in page
    assert not Customer.objects.exists()

    done = client.post(URL, {"confirm": "1"}, follow=True)
    assert done.redirect_chain[-1][0] == "/admin/customers/customer/"
    assert "Import finished: 2 created, 0 updated, 0 unchanged, 1 skipped for mistakes." in done.content.decode()
    assert sorted(Customer.objects.values_list("email", flat=True)) == ["ann@example.com", "cid@example.com"]

    again = client.post(URL, {"file": SimpleUploadedFile("customers.csv", CSV)})
    assert "0 will be created, 0 updated, 2 are unchanged" in again.content.decode()


def test_confirming_without_an_upload_asks_for_the_file_again() -> None:
    client = _client(manager("carol", is_staff=True))
    response = client.post(URL, {"confirm": "1"}, follow=True)
    assert "The uploaded file has expired; please upload it again." in response.content.decode()
    assert not Customer.objects.exists()


def test_a_file_missing_a_column_is_explained() -> None:
    client = _client(manager("carol", is_staff=True))
    upload = SimpleUploadedFile("products.csv", b"code,name\nkettle,Kettle\n")
    response = client.post("/admin/customers/product/import/", {"file": upload})
    assert "Required column missing: price." in response.content.decode()
    assert not Product.objects.exists()


def test_staff_without_the_permission_cannot_import() -> None:
    client = _client(agent("bob", is_staff=True))
    assert "Import CSV" not in client.get("/admin/customers/customer/").content.decode()
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": SimpleUploadedFile("c.csv", CSV)}).status_code == 403
    assert not Customer.objects.exists()


def test_the_preview_page_runs_a_bounded_number_of_queries(django_assert_max_num_queries: Any) -> None:
    client = _client(manager("carol", is_staff=True))
    rows = "".join(f"C{n},c{n}@example.com,C {n},en\n" for n in range(500))
    upload = SimpleUploadedFile("customers.csv", b"external_id,email,name,language\n" + rows.encode())
    with django_assert_max_num_queries(15):
        response = client.post(URL, {"file": upload})
    assert "500 will be created" in response.content.decode()
