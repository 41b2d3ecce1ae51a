"""The whole story in a real browser: a customer complains, an agent answers and resolves, letters go out.

Headless Debian Chromium against ``live_server``; the letters are sent by the real Celery worker over Redis
into the real SMTP sink.
"""

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.factories import agent
from tests.integration.conftest import PROJECT_DIR, CeleryWorker, SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = PROJECT_DIR / "test-results"


def test_customer_complains_agent_replies_and_resolves(
    page: Page,
    new_context: Any,
    live_server: Any,
    settings: Any,
    celery_worker_process: CeleryWorker,
    smtp_sink: SmtpSink,
) -> None:
    # Links in letters and on the page point at this server (a letter has no request to take the host from).
    settings.PUBLIC_BASE_URL = live_server.url
    address = f"alice-{uuid.uuid4().hex[:10]}@example.com"
    agent("bob", first_name="Bob", last_name="Agentson")
    reply_text = "We are sorry about the kettle. A replacement is on its way to you today."

    # The customer fills the public form with the keyboard and the mouse.
    page.goto(f"{live_server.url}/complaints/new/")
    page.get_by_label("Your name").click()
    page.keyboard.type("Alice Example")
    page.keyboard.press("Tab")
    page.keyboard.type(address)
    page.get_by_label("What is it about?").select_option(label="Faulty product")
    page.get_by_label("What happened?").click()
    page.keyboard.type("The kettle stopped working after two days. It does not heat at all.")
    page.get_by_label("I agree that my personal data is processed").check()
    page.get_by_role("button", name="Send complaint").click()

    heading = page.get_by_role("heading", name=re.compile(r"Your complaint RC-\d{4}-\d{6} is with us"))
    expect(heading).to_be_visible()
    match = re.search(r"RC-\d{4}-\d{6}", heading.inner_text())
    assert match is not None
    reference = match.group(0)
    tracking_link = page.locator(".tracking-link a")
    expect(tracking_link).to_have_attribute("href", re.compile(rf"^{re.escape(live_server.url)}/track/"))
    tracking_url = tracking_link.get_attribute("href")
    assert tracking_url is not None
    expect(page.get_by_test_id("status")).to_have_text("New")

    # An agent logs in, finds the complaint in the queue, replies, and resolves it.
    staff_page = new_context().new_page()  # the agent's own browser session
    staff_page.goto(f"{live_server.url}/accounts/login/")
    staff_page.get_by_label("Username").fill("bob")
    staff_page.get_by_label("Password").fill("correct-horse-battery")
    staff_page.get_by_role("button", name="Log in").click()
    expect(staff_page.get_by_role("heading", name="Complaint queue")).to_be_visible()
    staff_page.get_by_test_id("queue").get_by_role("link", name=reference).click()
    expect(staff_page.get_by_role("heading", name=re.compile(reference))).to_be_visible()

    staff_page.get_by_label("Reply (the customer gets it by email)").fill(reply_text)
    staff_page.get_by_role("button", name="Send reply").click()
    expect(staff_page.get_by_text("Reply sent to the customer.")).to_be_visible()
    expect(staff_page.get_by_test_id("status")).to_have_text("In progress")

    # Closing the loop: how it was settled, what went wrong, and what we changed so that it does not happen again.
    staff_page.get_by_label("Outcome", exact=True).select_option(label="Non-monetary relief")
    staff_page.get_by_label("Root cause", exact=True).select_option(label="Product defect")
    staff_page.get_by_label("Corrective action taken", exact=True).fill("The supplier now tests every kettle batch.")
    staff_page.get_by_role("button", name="Resolve").click()
    expect(staff_page.get_by_test_id("status")).to_have_text("Resolved")

    # The customer's private page shows the outcome and the agent's reply.
    page.goto(tracking_url)
    expect(page.get_by_test_id("status")).to_have_text("Resolved")
    expect(page.get_by_test_id("timeline")).to_contain_text(reply_text)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "tracking-page-resolved.png"), full_page=True)

    # Acknowledgement, reply and resolution: each delivered once by the worker.
    messages = smtp_sink.wait_for(3, to=address, timeout=30)
    subjects = sorted(str(m["Subject"]) for m in messages)
    assert subjects == sorted(
        [
            f"We have received your complaint {reference}: we are sorry",
            f"Our reply about your complaint {reference}",
            f"Your complaint {reference} is resolved",
        ]
    )
    acknowledgement = next(m for m in messages if "received" in str(m["Subject"]))
    text = acknowledgement.get_body(preferencelist=("plain",))
    assert text is not None
    assert tracking_url in text.get_content()
    reply = next(m for m in messages if "reply" in str(m["Subject"]))
    reply_body = reply.get_body(preferencelist=("plain",))
    assert reply_body is not None
    assert reply_text in reply_body.get_content()
