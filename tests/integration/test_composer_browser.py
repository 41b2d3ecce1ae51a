"""The reply composer with JavaScript, in a real browser: a canned response inserted in place, advice while typing.

The same page without JavaScript is covered by tests/complaints/test_composer.py.
"""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from complaints.models import CannedResponse, ComplaintEvent
from tests.factories import agent, submit_complaint

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_insert_a_canned_response_and_see_advice_while_typing(page: Page, live_server: Any) -> None:
    agent("bob", first_name="Bob", last_name="Agentson")
    complaint = submit_complaint()
    CannedResponse.objects.create(
        title="Replacement", language="en", body="Dear {name}, we are sorry. We will replace it. {reference}, {agent}"
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    complaint_url = f"{live_server.url}/dashboard/complaints/{complaint.reference}/"
    page.goto(complaint_url)

    reply = page.get_by_label("Reply (the customer gets it by email)")
    page.get_by_label("Start from a canned response").select_option(label="Replacement")
    page.get_by_role("button", name="Insert").click()
    expect(reply).to_have_value(f"Dear Alice Example, we are sorry. We will replace it. {complaint.reference}, Bob")
    assert page.url == complaint_url, "inserted in place, without reloading the page"

    hints = page.get_by_test_id("reply-hints")
    send_anyway = page.get_by_label("Send anyway")
    expect(send_anyway).to_be_hidden()
    reply.fill("")
    reply.press_sequentially("You should have read the manual.")
    expect(hints).to_contain_text("blaming the customer")
    expect(send_anyway).to_be_visible()

    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".messages")).to_contain_text("Not sent yet")
    assert not complaint.events.filter(kind=ComplaintEvent.Kind.STAFF_REPLY).exists()

    page.get_by_label("Send anyway").check()
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".messages")).to_contain_text("Reply sent to the customer.")
    expect(page.get_by_test_id("timeline")).to_contain_text("You should have read the manual.")
