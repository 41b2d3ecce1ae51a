"""Whatever arrives at the two doors where anyone may submit a complaint (the public form and the API), the answer
is a clean acceptance or a clean refusal: never a server error, never half a complaint in the database."""

import json
import secrets
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from complaints.models import Category, Complaint, ComplaintEvent
from customers.models import Customer
from notifications.models import Letter, LetterKind

# Any text without surrogates (they cannot be encoded): control characters and NUL included.
any_char = st.characters(exclude_categories=["Cs"])
short_text = st.text(any_char, max_size=300)
# Huge strings cheaply: a short piece repeated, up to about 20,000 characters.
huge_text = st.builds(
    lambda piece, times: (piece * times)[:20_000], st.text(any_char, min_size=1, max_size=20), st.integers(1, 2_000)
)
text = st.one_of(short_text, huge_text, st.sampled_from(["", " ", "\x00", "\n\t\r", "A valid description of it."]))
emails = st.one_of(
    st.emails(),
    short_text,
    st.sampled_from(["alice@example.com", "ALICE@Example.com ", "a@b", "@", "alice@exam\x00ple.com"]),
)
categories = st.one_of(st.sampled_from(Category.values), short_text)
phones = st.one_of(st.just(""), st.from_regex(r"\A\+?[0-9 ()\-.]{5,40}\Z"), short_text)

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def counts() -> dict[str, int]:
    return {
        "complaints": Complaint.objects.count(),
        "events": ComplaintEvent.objects.count(),
        "letters": Letter.objects.count(),
        "customers": Customer.objects.count(),
    }


def check_outcome(status: int, accepted: set[int], refused: set[int], before: dict[str, int], body: str) -> None:
    assert status < 500, body[:2000]
    after = counts()
    if status in accepted:
        created = Complaint.objects.order_by("-pk").first()
        assert created is not None
        assert after["complaints"] == before["complaints"] + 1
        assert created.events.filter(kind=ComplaintEvent.Kind.CREATED).count() == 1
        assert after["events"] == before["events"] + 1
        assert created.letters.filter(kind=LetterKind.ACKNOWLEDGEMENT).count() == 1
        assert after["letters"] == before["letters"] + 1
        assert after["customers"] - before["customers"] in {0, 1}
    else:
        assert status in refused, (status, body[:2000])
        assert after == before, "a refused submission left rows behind"


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(
    name=text,
    email=emails,
    phone=phones,
    order_number=text,
    category=categories,
    description=text,
    consent=st.booleans(),
)
@example(
    name="Alice",
    email="alice@example.com",
    phone="+7 912 345-67-89",
    order_number="",
    category="defect",
    description="The kettle stopped working after two days.",
    consent=True,
)
@example(
    name="Alice\x00",
    email="alice@example.com",
    phone="",
    order_number="",
    category="defect",
    description="Long enough text.",
    consent=True,
)
def test_the_public_form_accepts_or_refuses_cleanly(
    client: Client, name: str, email: str, phone: str, order_number: str, category: str, description: str, consent: bool
) -> None:
    cache.clear()
    before = counts()
    data = {
        "name": name,
        "email": email,
        "phone": phone,
        "order_number": order_number,
        "category": category,
        "description": description,
        "submission_token": secrets.token_urlsafe(24),
    }
    if consent:
        data["consent"] = "on"

    response = client.post("/complaints/new/", data)

    body = response.content.decode(errors="replace")
    # The form refuses with 200 and the errors on the page, or with 429 when rate limited.
    check_outcome(response.status_code, {302}, {200, 429}, before, body)
    if response.status_code == 200:
        assert 'class="errorlist' in body


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(
    name=text,
    email=emails,
    phone=phones,
    order_number=text,
    category=categories,
    description=text,
    language=st.one_of(st.sampled_from(["en", "ru", ""]), short_text),
    extra=st.dictionaries(short_text, st.one_of(short_text, st.integers(), st.none()), max_size=3),
)
@example(
    name="Alice",
    email="alice@example.com",
    phone="",
    order_number="",
    category="defect",
    description="The kettle stopped working after two days.",
    language="ru",
    extra={},
)
def test_the_api_accepts_or_refuses_cleanly(
    client: Client,
    name: str,
    email: str,
    phone: str,
    order_number: str,
    category: str,
    description: str,
    language: str,
    extra: dict[str, Any],
) -> None:
    cache.clear()
    before = counts()
    payload: dict[str, Any] = {
        **extra,
        "name": name,
        "email": email,
        "phone": phone,
        "order_number": order_number,
        "category": category,
        "description": description,
        "language": language,
    }

    response = client.post("/api/v1/complaints/", json.dumps(payload), content_type="application/json")

    check_outcome(response.status_code, {201}, {400, 429}, before, response.content.decode(errors="replace"))


# An internationalised domain that grows when lower-cased: "İ" (U+0130) becomes "i̇", two characters, so an address
# the form accepts at 249 characters is 309 characters when stored in a 254-character column.
GROWING_EMAIL = "a@" + "İ" * 60 + "." + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + ".com"


@pytest.mark.django_db
def test_the_form_refuses_an_address_that_grows_when_lower_cased(client: Client) -> None:
    before = counts()
    data = {"name": "Alice", "email": GROWING_EMAIL, "category": "defect", "description": "Long enough text."}

    response = client.post("/complaints/new/", {**data, "consent": "on"})

    check_outcome(response.status_code, {302}, {200}, before, response.content.decode())


@pytest.mark.django_db
def test_the_api_refuses_an_address_that_grows_when_lower_cased(client: Client) -> None:
    before = counts()
    payload = {"name": "Alice", "email": GROWING_EMAIL, "category": "defect", "description": "Long enough text."}

    response = client.post("/api/v1/complaints/", payload, content_type="application/json")

    check_outcome(response.status_code, {201}, {400}, before, response.content.decode())
