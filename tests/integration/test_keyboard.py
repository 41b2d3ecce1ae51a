"""The dashboard from the keyboard and on a tablet, in a real browser (headless Chromium).

Shortcuts: ``r`` reply box, ``a`` assign to me, ``n`` next complaint, ``j``/``k``/``o``/``x`` in the queue,
``?`` the help dialog; none of them while typing. Layout: nothing wider than the window on a tablet in
portrait or a small laptop, and every form control named for screen readers.
"""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from complaints.models import CannedResponse, Complaint
from complaints.services import complaint_note_add, complaint_reply
from tests.factories import agent, submit_complaint

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TABLET_PORTRAIT: ViewportSize = {"width": 768, "height": 1024}
SMALL_LAPTOP: ViewportSize = {"width": 1366, "height": 768}
# Roles of the controls a person fills in or presses: each needs a name a screen reader can say.
CONTROL_ROLES = {
    "button",
    "checkbox",
    "combobox",
    "listbox",
    "radio",
    "searchbox",
    "slider",
    "spinbutton",
    "switch",
    "textbox",
}


def _log_in(page: Page, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Complaint queue")).to_be_visible()
    # The shortcuts script is deferred: keys pressed before it runs would be lost on a busy machine.
    page.wait_for_load_state("load")


def _complaint_url(live_server: Any, complaint: Complaint) -> str:
    return f"{live_server.url}/dashboard/complaints/{complaint.reference}/"


@pytest.fixture
def bob(transactional_db: Any) -> Any:
    return agent("bob", first_name="Bob", last_name="Agentson")


def test_reply_assign_and_next_from_the_keyboard(page: Page, live_server: Any, bob: Any) -> None:
    first = submit_complaint(email="first@example.com")
    second = submit_complaint(email="second@example.com")
    _log_in(page, live_server, "bob")
    page.goto(_complaint_url(live_server, first))
    reply = page.get_by_label("Reply (the customer gets it by email)")

    page.keyboard.press("r")
    expect(reply).to_be_focused()
    expect(reply).to_have_value("")  # the key moved the focus; it typed nothing

    page.keyboard.type("n")  # typing, not a shortcut
    expect(reply).to_have_value("n")
    assert page.url == _complaint_url(live_server, first)

    page.get_by_role("heading", level=1).click()  # out of the box
    page.keyboard.press("a")
    expect(page.locator(".messages")).to_contain_text("The complaint is yours.")
    expect(page.locator(".facts")).to_contain_text("Bob Agentson")
    first.refresh_from_db()
    assert first.assignee_id == bob.pk

    page.keyboard.press("n")
    expect(page).to_have_url(_complaint_url(live_server, second))
    expect(page.get_by_role("heading", level=1)).to_contain_text(second.reference)

    page.keyboard.press("g")
    page.keyboard.press("q")
    expect(page).to_have_url(f"{live_server.url}/dashboard/")


def test_move_tick_and_open_queue_rows(page: Page, live_server: Any, bob: Any) -> None:
    for i in range(3):
        submit_complaint(email=f"row{i}@example.com")
    _log_in(page, live_server, "bob")
    rows = page.locator("#queue-rows tr[data-reference]")
    expect(rows).to_have_count(3)
    second = rows.nth(1).get_attribute("data-reference")

    page.keyboard.press("/")
    expect(page.get_by_role("searchbox")).to_be_focused()
    page.keyboard.press("Escape")
    page.get_by_role("heading", name="Complaint queue").click()

    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bis-kb-current\b"))
    page.keyboard.press("x")
    expect(rows.nth(1).get_by_role("checkbox")).to_be_checked()
    expect(rows.nth(0).get_by_role("checkbox")).not_to_be_checked()
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bis-kb-current\b"))
    page.keyboard.press("j")
    page.keyboard.press("o")

    expect(page).to_have_url(f"{live_server.url}/dashboard/complaints/{second}/")


def test_the_help_dialog_opens_with_a_question_mark_and_closes_with_escape(
    page: Page, live_server: Any, bob: Any
) -> None:
    _log_in(page, live_server, "bob")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_hidden()

    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Next complaint")
    close = dialog.get_by_role("button", name="Close")
    expect(close).to_be_focused()
    page.keyboard.press("Tab")
    expect(close).to_be_focused()  # the focus stays in the dialog
    page.keyboard.press("j")  # no shortcuts behind an open dialog
    expect(page.locator("#queue-rows tr.is-kb-current")).to_have_count(0)

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog).to_be_visible()
    close.click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Keyboard shortcuts")).to_be_focused()


def test_the_keys_work_with_the_russian_layout_switched_on(page: Page, live_server: Any, bob: Any) -> None:
    first = submit_complaint(email="first@example.com")
    second = submit_complaint(email="second@example.com")
    _log_in(page, live_server, "bob")
    page.goto(_complaint_url(live_server, first))

    # The N key types "т" in the Russian layout: the shortcut goes by the key's place.
    page.evaluate(
        "() => document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'т', code: 'KeyN', bubbles: true}))"
    )

    expect(page).to_have_url(_complaint_url(live_server, second))


def test_the_first_tab_offers_to_skip_to_the_content(page: Page, live_server: Any, bob: Any) -> None:
    _log_in(page, live_server, "bob")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")

    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


def _busy_queue_and_complaint(bob: Any) -> Complaint:
    """A queue with long names and addresses, and a complaint with a timeline, canned responses and notes."""
    CannedResponse.objects.create(title="Replacement", language="en", body="Dear {name}, we are sorry.")
    for i in range(12):
        submit_complaint(
            name=f"Konstantin Konstantinopolsky-Vasilyevsky {i}",
            email=f"konstantin.konstantinopolsky-vasilyevsky.{i}@a-very-long-company-name.example.com",
            description="The kettle stopped working after two days. " * 5,
        )
    complaint = submit_complaint(
        name="Alice Example",
        email="alice.with.a.remarkably.long.address.for.testing.layout@example.com",
        description="Unbreakable" + "x" * 120 + " and then more words about the kettle.",
    )
    complaint_reply(complaint=complaint, author=bob, body="We are sorry about the kettle. " * 10)
    complaint_note_add(complaint=complaint, author=bob, body="Internal: check the batch number.")
    return complaint


def _overflow(page: Page) -> dict[str, int]:
    sizes: dict[str, int] = page.evaluate(
        "() => ({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth})"
    )
    return sizes


def _nameless_controls(page: Page) -> list[str]:
    """Rendered form controls whose accessible name, as Chromium computes it for screen readers, is empty."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
        nameless = []
        for node in nodes:
            role = node.get("role", {}).get("value")
            name = str(node.get("name", {}).get("value") or "").strip()
            if node.get("ignored") or role not in CONTROL_ROLES or name:
                continue
            described = cdp.send("DOM.describeNode", {"backendNodeId": node["backendDOMNodeId"]})["node"]
            attributes = described.get("attributes", [])
            nameless.append(f"{role} <{described.get('localName')} {' '.join(attributes)}>")
        return nameless
    finally:
        cdp.detach()


@pytest.mark.parametrize("viewport", [TABLET_PORTRAIT, SMALL_LAPTOP], ids=["tablet-portrait", "small-laptop"])
def test_queue_and_complaint_fit_the_screen_and_every_control_is_named(
    page: Page, live_server: Any, bob: Any, viewport: ViewportSize
) -> None:
    complaint = _busy_queue_and_complaint(bob)
    page.set_viewport_size(viewport)
    _log_in(page, live_server, "bob")

    for url in (f"{live_server.url}/dashboard/", _complaint_url(live_server, complaint)):
        page.goto(url)
        sizes = _overflow(page)
        assert sizes["scrollWidth"] <= sizes["innerWidth"], f"{url} is wider than the window: {sizes}"
        assert _nameless_controls(page) == [], url
