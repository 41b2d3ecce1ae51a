"""The public complaint form at /complaints/new/, as a customer uses it."""

import re
from typing import Any, cast

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from complaints.models import Complaint
from customers.models import Customer, Purchase
from notifications.models import Letter
from tests.factories import CustomerFactory, PurchaseFactory

# The form lists the product catalogue, so every test here may touch the database.
pytestmark = pytest.mark.django_db

URL = "/complaints/new/"

VALID: dict[str, str] = {
    "name": "Alice Example",
    "email": "alice@example.com",
    "phone": "+7 912 345-67-89",
    "order_number": "",
    "category": "defect",
    "description": "The kettle stopped working after two days.",
    "desired_resolution": "replacement",
    "consent": "on",
}


def _post(client: Client, **changes: str) -> Any:
    return client.post(URL, {**VALID, **changes})


def _field_errors(html: str, field: str) -> list[str]:
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1), re.S) if match else []


def test_the_form_is_shown_in_english(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Tell us what went wrong" in html
    for field in ("name", "email", "phone", "order_number", "category", "description", "desired_resolution"):
        assert f'name="{field}"' in html


@pytest.mark.parametrize("how", ["header", "cookie"])
def test_the_form_is_served_in_russian_when_asked(client: Client, how: str) -> None:
    if how == "header":
        response = client.get(URL, headers={"accept-language": "ru-RU,ru;q=0.9"})
    else:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
        response = client.get(URL)

    assert response.status_code == 200
    assert '<html lang="ru">' in response.content.decode()
    assert response.headers["Content-Language"] == "ru"


@pytest.mark.django_db
def test_a_valid_complaint_leads_to_its_tracking_page(client: Client) -> None:
    response = _post(client)

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert re.fullmatch(r"/track/[^/]+/\?submitted=1", response["Location"])
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert complaint.reference in html
    tracking_url = "http://testserver" + response["Location"].split("?")[0]
    assert f'<a href="{tracking_url}">{tracking_url}</a>' in html
    assert complaint.customer.name == "Alice Example"
    assert complaint.category == "defect"
    assert complaint.desired_resolution == "replacement"
    assert complaint.channel == "web"
    assert complaint.language == "en"


@pytest.mark.django_db
def test_the_acknowledgement_is_queued_with_the_complaint_and_sent_after_commit(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post(client)
        letter = Letter.objects.get()
        assert letter.status == "queued"
        assert letter.kind == "acknowledgement"
        assert mail.outbox == []

    assert response.status_code == 302
    assert callbacks
    for callback in callbacks:
        callback()

    complaint = Complaint.objects.get()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["alice@example.com"]
    assert complaint.reference in email.subject
    assert "We are sorry for the trouble" in email.body
    assert complaint.reference in email.body
    assert "http://testserver" + response["Location"].split("?")[0] in email.body
    letter.refresh_from_db()
    assert letter.status == "sent"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "    "),
        ("name", "A" * 201),
        ("email", "not-an-email"),
        ("email", ""),
        ("phone", "call me maybe"),
        ("description", "Broken."),
        ("description", "x" * 10_001),
        ("category", "alien_abduction"),
        ("order_number", "9" * 65),
        ("desired_resolution", "a_pony"),
    ],
)
def test_each_invalid_field_is_reported_on_that_field_and_nothing_typed_is_lost(
    client: Client, field: str, value: str
) -> None:
    response = _post(client, **{field: value})

    assert response.status_code == 200
    html = response.content.decode()
    assert _field_errors(html, field), f"no error shown for {field}"
    others = [f for f in ("name", "email", "phone", "description", "category") if f != field]
    for other in others:
        assert not _field_errors(html, other)
    assert "Please correct the fields marked below" in html
    if field != "name":
        assert 'value="Alice Example"' in html
    if field != "email":
        assert 'value="alice@example.com"' in html
    if field != "phone":
        assert 'value="+7 912 345-67-89"' in html
    if field != "description":
        assert "The kettle stopped working after two days.</textarea>" in html
    if field != "category":
        assert '<option value="defect" selected>' in html
    assert Complaint.objects.count() == 0
    assert Letter.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_name_says_the_field_is_required(client: Client) -> None:
    response = _post(client, name="")

    assert _field_errors(response.content.decode(), "name") == ["This field is required."]


@pytest.mark.django_db
def test_errors_are_in_russian_for_a_russian_speaker(client: Client) -> None:
    response = client.post(URL, {**VALID, "name": "", "email": "нет"}, headers={"accept-language": "ru"})

    html = response.content.decode()
    assert response.status_code == 200
    assert _field_errors(html, "name") == ["Обязательное поле."]
    assert _field_errors(html, "email") == ["Введите правильный адрес электронной почты."]
    assert "This field is required." not in html


@pytest.mark.django_db
def test_a_russian_speaker_gets_a_russian_complaint(client: Client) -> None:
    response = client.post(URL, {**VALID, "name": "Анна Иванова"}, headers={"accept-language": "ru"})

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.language == "ru"
    assert complaint.customer.language == "ru"
    assert Letter.objects.get().language == "ru"


@pytest.mark.django_db
def test_a_repeat_customer_is_recognised_whatever_the_case_of_the_email(client: Client) -> None:
    _post(client, email="Alice@Example.COM")
    _post(client, email="  alice@example.com ")

    assert Customer.objects.count() == 1
    customer = Customer.objects.get()
    assert customer.email == "alice@example.com"
    assert customer.complaints.count() == 2


@pytest.mark.django_db
def test_the_customer_s_own_order_number_links_the_purchase(client: Client) -> None:
    customer = CustomerFactory(email="alice@example.com")
    purchase = cast(Purchase, PurchaseFactory(customer=customer, order_number="ORD-777001"))

    response = _post(client, order_number="ord-777001 ")

    complaint = Complaint.objects.get()
    assert complaint.purchase == purchase
    assert complaint.product == purchase.product
    assert "ORD-777001" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_another_customer_s_order_number_is_treated_like_an_unknown_one(client: Client) -> None:
    PurchaseFactory(customer=CustomerFactory(email="mallory@example.com"), order_number="ORD-555001")

    foreign = _post(client, order_number="ORD-555001")
    unknown = _post(client, order_number="ORD-000000")

    assert foreign.status_code == unknown.status_code == 302
    assert Complaint.objects.filter(purchase__isnull=False).count() == 0
    foreign_page = client.get(foreign["Location"]).content.decode()
    unknown_page = client.get(unknown["Location"]).content.decode()
    assert "ORD-555001" not in foreign_page
    assert "mallory" not in foreign_page
    # The same page apart from the reference, the tracking link, the exact times and the CSRF token.
    strip = re.compile(r"RC-\d{4}-\d{6}|/track/[^/\"]+/|datetime=\"[^\"]+\"|csrfmiddlewaretoken\" value=\"\w+\"")
    assert strip.sub("", foreign_page) == strip.sub("", unknown_page)


@pytest.mark.django_db
def test_a_body_of_invalid_utf8_is_not_a_server_error(client: Client) -> None:
    body = b"name=\xff\xfe\xfd&email=a%40example.com&category=defect&description=\xc3\x28\xa0\xa1" + b"\x80" * 20

    response = client.generic("POST", URL, body, content_type="application/x-www-form-urlencoded")

    # Undecodable bytes are replaced, not fatal: the customer gets a page, never a server error.
    assert response.status_code < 500


@pytest.mark.django_db
def test_a_huge_body_is_refused_without_a_server_error(client: Client) -> None:
    response = _post(client, description="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))

    assert response.status_code < 500
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
def test_a_nul_character_is_a_form_error_not_a_server_error(client: Client) -> None:
    response = _post(client, name="Alice\x00Example")

    assert response.status_code == 200
    assert _field_errors(response.content.decode(), "name")
    assert Complaint.objects.count() == 0
