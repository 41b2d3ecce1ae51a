"""The customer's whole journey in a real browser, in English and in Russian, and the form's error paths.

Headless Debian Chromium against ``live_server``. Letters stay in the outbox (the ``Letter`` table) and, sent
eagerly by the test settings, in Django's locmem outbox: no worker is needed here. Staff act through the
services, as the dashboard would.

Expected texts are looked up in the page's language with ``gettext``, so the Russian run checks whatever the
catalogue says (and the structure: ``lang="ru"``, ``data-testid`` hooks), not strings copied into the test.
"""

import re
import struct
import uuid
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import translation
from playwright.sync_api import Page, expect

from compensation.models import CompensationOffer, OfferKind, OfferStatus
from compensation.services import offer_propose
from complaints.models import Category, Complaint, ComplaintEvent, Status
from complaints.services import complaint_transition
from complaints.transitions import Action
from notifications.models import Letter, LetterKind
from tests.factories import agent, closing_answers
from tests.integration.conftest import PROJECT_DIR

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = PROJECT_DIR / "test-results"
REFERENCE = re.compile(r"RC-\d{4}-\d{6}")


def tiny_png() -> bytes:
    """A real 2x2 red PNG, built by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def tr(language: str, message: str, **values: Any) -> str:
    """``message`` as the page shows it in ``language``."""
    with translation.override(language):
        text = translation.gettext(message)
    return text % values if values else text


def label(language: str, choice: Any) -> str:
    with translation.override(language):
        return str(choice.label)


@pytest.fixture
def shot_on_failure(request: pytest.FixtureRequest, page: Page) -> Iterator[Page]:
    """The page, screenshotted into test-results/ when the test fails (the call phase is reported before
    fixtures are torn down, so the session's failure count already includes this test)."""
    failed_before = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed_before:
        SCREENSHOTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def server(live_server: Any, settings: Any) -> str:
    # Links on the page and in letters point at this server (a letter has no request to take the host from).
    settings.PUBLIC_BASE_URL = live_server.url
    return str(live_server.url)


def open_form(page: Page, server: str, language: str) -> None:
    page.goto(f"{server}/complaints/new/")
    if language != "en":
        # The header's language switch, as a customer would use it.
        page.locator(".lang-switch").get_by_role("button", name=language.upper(), exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_test_id("complaint-form")).to_be_visible()


def type_into(page: Page, selector: str, text: str) -> None:
    page.locator(selector).click()
    page.keyboard.type(text)


def fill_form(page: Page, *, name: str, email: str, description: str) -> None:
    type_into(page, "#id_name", name)
    page.keyboard.press("Tab")  # the email field follows the name
    page.keyboard.type(email)
    page.locator("#id_category").select_option(Category.DEFECT.value)
    type_into(page, "#id_description", description)
    page.locator("#id_consent").check()


def submit(page: Page) -> None:
    page.get_by_test_id("complaint-form").locator("button[type=submit]").click()


def field_errors(page: Page, field: str) -> Any:
    return page.locator(f"#id_{field}_error")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_customer_journey(shot_on_failure: Page, server: str, tmp_path: Path, language: str) -> None:
    page = shot_on_failure
    bob = agent("bob", first_name="Bob", last_name="Agentson")
    address = f"alice-{uuid.uuid4().hex[:10]}@example.com"
    description = "The kettle stopped working after two days. It does not heat at all."
    photo = tmp_path / "kettle.png"
    photo.write_bytes(tiny_png())

    # 1. The form, filled with the keyboard and the mouse, with a photo.
    open_form(page, server, language)
    fill_form(page, name="Alice Example", email=address, description=description)
    page.set_input_files("#id_attachments", str(photo))
    submit(page)

    # 2. The tracking page: the reference, the private link, the status, the photo.
    heading = page.locator("h1")
    expect(heading).to_have_text(REFERENCE)
    match = REFERENCE.search(heading.inner_text())
    assert match is not None
    reference = match.group(0)
    expect(heading).to_have_text(
        tr(language, "Thank you. Your complaint %(reference)s is with us.", reference=reference)
    )
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".tracking-link a")).to_have_attribute("href", re.compile(rf"^{re.escape(server)}/track/"))
    expect(page.get_by_test_id("status")).to_have_text(label(language, Status.NEW))
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text(description)
    complaint = Complaint.objects.select_related("customer").get(reference=reference)
    assert complaint.language == language
    assert complaint.customer.email == address

    with page.expect_download() as download_info:
        timeline.get_by_role("link", name="kettle.png").click()
    download = download_info.value
    assert download.suggested_filename == "kettle.png"
    assert Path(download.path()).read_bytes() == photo.read_bytes()

    # 3. The customer writes to us from the tracking page.
    message = "I also have the receipt and the box, if that helps."
    reply_form = page.get_by_test_id("reply-form")
    reply_form.locator("#id_body").click()
    page.keyboard.type(message)
    reply_form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_have_text(tr(language, "Thank you. Your message is on its way to the team."))
    expect(page.get_by_test_id("timeline")).to_contain_text(message)

    # 4. Staff offer a refund; the customer accepts it on the page.
    complaint_transition(complaint=complaint.pk, action=Action.START, actor=bob)
    offer = offer_propose(
        complaint=complaint.pk,
        actor=bob,
        kind=OfferKind.REFUND,
        amount=Decimal("1990"),
        currency="RUB",
        reason="A full refund for the kettle, with our apologies.",
    )
    page.reload()
    offer_box = page.get_by_test_id("offer")
    expect(offer_box).to_contain_text("A full refund for the kettle, with our apologies.")
    expect(offer_box).to_contain_text(re.compile(r"1990[.,]00 RUB"))  # localised decimal mark
    offer_box.locator("button[name=decision][value=accept]").click()
    expect(page.locator(".messages")).to_have_text(
        tr(language, "Thank you. We have recorded your answer and told the team.")
    )
    expect(page.get_by_test_id("offer-status")).to_have_text(label(language, OfferStatus.ACCEPTED))
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED

    # 5. Staff resolve; the customer rates the outcome 5.
    complaint_transition(complaint=complaint.pk, action=Action.RESOLVE, actor=bob, **closing_answers("resolve"))
    page.reload()
    expect(page.get_by_test_id("status")).to_have_text(label(language, Status.RESOLVED))
    rating_form = page.get_by_test_id("rating-form")
    rating_form.locator("input[name=rating][value='5']").check()
    rating_form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_have_text(tr(language, "Thank you for your rating. It helps us do better."))
    expect(page.get_by_test_id("rating-form")).to_have_count(0)  # rated once: the form is gone
    expect(page.get_by_test_id("timeline")).to_contain_text(
        tr(language, "You rated the outcome %(rating)s/5", rating=5)
    )
    complaint.refresh_from_db()
    assert complaint.rating == 5
    assert complaint.status == Status.RESOLVED

    # The letters the customer got, in their language: acknowledgement, offer, resolution.
    letters = Letter.objects.filter(complaint=complaint, recipient=address)
    assert sorted(letters.values_list("kind", flat=True)) == sorted(
        [LetterKind.ACKNOWLEDGEMENT, LetterKind.OFFER, LetterKind.RESOLUTION]
    )
    assert set(letters.values_list("language", flat=True)) == {language}
    sent_to_customer = [m for m in mail.outbox if address in m.to]
    assert sorted(m.subject for m in sent_to_customer) == sorted(letters.values_list("subject", flat=True))
    acknowledgement = letters.get(kind=LetterKind.ACKNOWLEDGEMENT)
    assert reference in acknowledgement.subject
    kinds = list(complaint.events.order_by("created_at", "id").values_list("kind", flat=True))
    assert kinds[0] == ComplaintEvent.Kind.CREATED
    for kind in (
        ComplaintEvent.Kind.CUSTOMER_MESSAGE,
        ComplaintEvent.Kind.OFFER_ACCEPTED,
        ComplaintEvent.Kind.RATED,
    ):
        assert kinds.count(kind) == 1, kinds


def test_missing_fields_are_marked_and_what_was_typed_is_kept(shot_on_failure: Page, server: str) -> None:
    page = shot_on_failure
    open_form(page, server, "en")
    type_into(page, "#id_name", "Alice Example")
    type_into(page, "#id_description", "Too short")  # 9 characters: below the minimum
    submit(page)

    expect(page.get_by_test_id("form-errors")).to_be_visible()
    for field in ("email", "category", "description", "consent"):
        expect(field_errors(page, field)).to_be_visible()
    expect(field_errors(page, "name")).to_have_count(0)
    expect(field_errors(page, "consent")).to_have_text("We need your consent to handle the complaint.")
    expect(page.locator("#id_email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_name")).to_have_value("Alice Example")
    expect(page.locator("#id_description")).to_have_value("Too short")
    assert Complaint.objects.count() == 0


def test_a_file_over_the_limit_is_refused_clearly(shot_on_failure: Page, server: str, tmp_path: Path) -> None:
    page = shot_on_failure
    big = tmp_path / "huge.png"
    with big.open("wb") as handle:  # PNG magic bytes, then 20 MB of padding
        handle.write(b"\x89PNG\r\n\x1a\n")
        handle.truncate(20 * 1024 * 1024)
    open_form(page, server, "en")
    fill_form(page, name="Alice Example", email="alice@example.com", description="The photo is very large.")
    page.set_input_files("#id_attachments", str(big))
    submit(page)

    expect(field_errors(page, "attachments")).to_have_text("“huge.png” is larger than 10 MB.")
    expect(page.locator("#id_description")).to_have_value("The photo is very large.")
    assert Complaint.objects.count() == 0


def test_an_svg_dressed_as_png_is_refused(shot_on_failure: Page, server: str, tmp_path: Path) -> None:
    page = shot_on_failure
    fake = tmp_path / "photo.png"
    fake.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    open_form(page, server, "en")
    fill_form(page, name="Alice Example", email="alice@example.com", description="Here is a photo of it.")
    page.set_input_files("#id_attachments", str(fake))
    submit(page)

    expect(field_errors(page, "attachments")).to_contain_text("“photo.png” is not a picture or a PDF.")
    assert Complaint.objects.count() == 0


def test_too_many_complaints_get_a_friendly_message(shot_on_failure: Page, server: str, settings: Any) -> None:
    page = shot_on_failure
    settings.COMPLAINT_LIMIT_PER_EMAIL = 1
    for _attempt in range(2):
        open_form(page, server, "en")
        fill_form(page, name="Alice Example", email="alice@example.com", description="The kettle is broken again.")
        submit(page)

    expect(page.get_by_test_id("form-errors")).to_contain_text(
        "You have sent us several complaints in a short time. Please wait an hour and try again"
    )
    expect(page.locator("#id_description")).to_have_value("The kettle is broken again.")
    assert Complaint.objects.count() == 1
    assert CompensationOffer.objects.count() == 0
