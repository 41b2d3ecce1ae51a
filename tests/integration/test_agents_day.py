"""An agent's day in a real browser: filter the queue, open a complaint, start from a canned reply, heed the
apology check, send, take the complaint, merge a duplicate into it, and resolve two complaints at once."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from complaints.models import CannedResponse, Category, Complaint, ComplaintEvent, Outcome, RootCause, Status
from complaints.services import complaint_transition
from notifications.models import Letter, LetterKind
from tests.factories import agent, submit_complaint

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _queue_rows(page: Page) -> list[str]:
    references = page.locator("#queue-rows tr[data-reference]").evaluate_all(
        "rows => rows.map(r => r.dataset.reference)"
    )
    return [str(reference) for reference in references]


def test_an_agents_day(page: Page, live_server: Any) -> None:
    bob = agent("bob", first_name="Bob", last_name="Agentson")
    kettle = submit_complaint(description="The kettle stopped working after two days.")
    duplicate = submit_complaint(description="My kettle is broken, I wrote yesterday and nobody answered.")
    invoices = [
        submit_complaint(
            name=name,
            email=email,
            category=Category.BILLING,
            description="I was charged twice for the same order.",
        )
        for name, email in (("Boris Petrov", "boris@example.com"), ("Clara Diaz", "clara@example.com"))
    ]
    for invoice in invoices:
        complaint_transition(complaint=invoice, action="start", actor=bob)
    late_parcel = submit_complaint(
        name="Dan Brown", email="dan@example.com", category=Category.DELIVERY, description="The parcel is late."
    )
    CannedResponse.objects.create(
        title="Replacement", language="en", body="Dear {name}, we will send you a new kettle tomorrow. {reference}"
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()

    # Filter the queue down to faulty products: the two kettle complaints, nothing else.
    page.goto(f"{live_server.url}/dashboard/?tab=all")
    assert set(_queue_rows(page)) == {
        kettle.reference,
        duplicate.reference,
        *(i.reference for i in invoices),
        late_parcel.reference,
    }
    page.locator("form.filters").get_by_label("Category").select_option(label="Faulty product")
    page.locator("form.filters").get_by_role("button", name="Show").click()
    expect(page.locator("#queue-rows tr[data-reference]")).to_have_count(2)
    assert set(_queue_rows(page)) == {kettle.reference, duplicate.reference}

    # Open the first complaint and start from the canned reply: the apology check says it lacks an apology.
    page.get_by_role("link", name=kettle.reference, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(kettle.reference)
    reply = page.get_by_label("Reply (the customer gets it by email)")
    page.get_by_label("Start from a canned response").select_option(label="Replacement")
    page.get_by_role("button", name="Insert").click()
    expect(reply).to_have_value(f"Dear Alice Example, we will send you a new kettle tomorrow. {kettle.reference}")
    hints = page.get_by_test_id("reply-hints")
    reply.press("End")
    reply.press_sequentially(" ")
    expect(hints).to_contain_text("say sorry")

    # The agent heeds it: the apology goes first, the advice goes away, and the reply is sent as written.
    reply.fill("")
    reply.press_sequentially(
        "Dear Alice Example, we are sorry: the kettle failed because of our mistake. "
        f"We will send you a new kettle tomorrow. {kettle.reference}"
    )
    expect(hints).not_to_contain_text("say sorry")
    expect(page.get_by_label("Send anyway")).to_be_hidden()
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".messages")).to_contain_text("Reply sent to the customer.")
    expect(page.get_by_test_id("timeline")).to_contain_text("we are sorry: the kettle failed because of our mistake")
    assert Letter.objects.filter(complaint=kettle, kind=LetterKind.REPLY, recipient="alice@example.com").count() == 1

    # Take it.
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator(".messages")).to_contain_text("The complaint is yours.")
    kettle.refresh_from_db()
    assert kettle.assignee == bob

    # The second kettle complaint is a duplicate: merge it into the first one.
    page.goto(f"{live_server.url}/dashboard/complaints/{duplicate.reference}/")
    page.get_by_text("Merge into…").click()
    page.get_by_test_id("merge-form").get_by_label("Merge into").fill(kettle.reference)
    page.get_by_test_id("merge-form").get_by_role("button", name="Merge").click()
    expect(page.get_by_test_id("merged-into")).to_contain_text(f"Merged into {kettle.reference}")
    expect(page.get_by_test_id("status")).to_have_text("Closed")
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == (Status.CLOSED, kettle.pk)
    assert Letter.objects.filter(complaint=duplicate, kind=LetterKind.MERGED).count() == 1
    # Nothing the customer wrote is lost: the first complaint shows the duplicate's message.
    page.get_by_test_id("merged-into").get_by_role("link").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("I wrote yesterday and nobody answered")
    expect(page.get_by_test_id("merged-duplicates")).to_contain_text(duplicate.reference)

    # Resolve both billing complaints at once from the queue, closing the loop for both.
    page.goto(f"{live_server.url}/dashboard/?tab=all&category=billing")
    expect(page.locator("#queue-rows tr[data-reference]")).to_have_count(2)
    for invoice in invoices:
        page.locator(f'#queue-rows input[name="selected"][value="{invoice.reference}"]').check()
    bulk = page.get_by_test_id("bulk-form")
    bulk.get_by_label("With the selected").select_option(label="Change status")
    bulk.get_by_role("combobox", name="Action:", exact=True).select_option(label="Resolve")
    bulk.get_by_label("Outcome (to resolve)").select_option(label="Explained, no relief")
    bulk.get_by_label("Root cause (to resolve or decline)").select_option(label="Billing error")
    bulk.get_by_label("Corrective action taken (to resolve)").fill("Double charges are now refunded the same day.")
    bulk.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".messages")).to_contain_text("Done for 2 complaints")

    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.status == Status.RESOLVED
        assert (invoice.outcome, invoice.root_cause) == (Outcome.EXPLAINED, RootCause.BILLING_ERROR)
        assert invoice.corrective_action == "Double charges are now refunded the same day."
        assert Letter.objects.filter(complaint=invoice, kind=LetterKind.RESOLUTION).count() == 1
    assert Complaint.objects.get(pk=late_parcel.pk).status == Status.NEW
    assert ComplaintEvent.objects.filter(complaint=kettle, kind=ComplaintEvent.Kind.MERGED).count() == 1
