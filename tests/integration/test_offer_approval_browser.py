"""An offer above an agent's limit, in a real browser: the agent proposes a voucher, a manager approves it on
the approvals page, the customer accepts it on the tracking page, and the voucher letter carries the code."""

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from compensation.models import CompensationOffer, OfferStatus
from complaints.models import Category
from complaints.tokens import tracking_path
from notifications.models import Letter, LetterKind
from tests.factories import CustomerFactory, PurchaseFactory, agent, manager, submit_complaint

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, live_server: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()


def test_a_voucher_above_the_agents_limit_is_approved_and_accepted(page: Page, live_server: Any) -> None:
    agent("bob", first_name="Bob", last_name="Agentson")
    carol = manager("carol", first_name="Carol", last_name="Managerova")
    customer = CustomerFactory(email="alice@example.com", name="Alice Example")
    PurchaseFactory(customer=customer, order_number="ORD-900", amount=Decimal("4990.00"))
    complaint = submit_complaint(order_number="ORD-900", category=Category.DELIVERY, description="The parcel is late.")

    # Bob sees the policy's suggestion, asks for more than he may give, and the offer waits for a manager.
    _log_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/dashboard/complaints/{complaint.reference}/")
    expect(page.get_by_test_id("offer-suggestion")).to_contain_text("Voucher 499.00 RUB")
    form = page.get_by_test_id("offer-form")
    form.get_by_role("combobox", name="Offer").select_option("voucher")
    form.get_by_label("Amount").fill("2500")
    form.get_by_label("What the offer is for (the customer reads this)").fill(
        "We are sorry the parcel is a week late: this voucher is for the wait."
    )
    form.get_by_role("button", name="Send the offer").click()
    expect(page.locator(".messages")).to_contain_text("a manager has been asked to approve it")
    expect(page.get_by_test_id("offers")).to_contain_text("Awaiting approval")
    offer = CompensationOffer.objects.get(complaint=complaint)
    assert offer.status == OfferStatus.PENDING_APPROVAL
    assert Letter.objects.filter(kind=LetterKind.OFFER_APPROVAL, recipient=carol.email).count() == 1

    # Carol approves it on the approvals page; the queue is empty afterwards.
    _log_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/dashboard/approvals/")
    row = page.get_by_test_id(f"approval-{offer.pk}")
    expect(row).to_contain_text(complaint.reference)
    expect(row).to_contain_text("Bob Agentson")
    expect(row).to_contain_text("Voucher 2500.00 RUB")
    row.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Approved: the offer is on its way to the customer.")
    expect(page.get_by_test_id("approvals")).to_contain_text("Nothing waits for approval.")

    # Alice accepts it on her tracking page and sees her voucher code.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{tracking_path(complaint)}")
    offer_box = page.get_by_test_id("offer")
    expect(offer_box).to_contain_text("Voucher: 2500.00 RUB")
    offer_box.get_by_role("button", name="Accept the offer").click()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.FULFILLED
    assert offer.voucher_code
    expect(page.get_by_test_id("voucher")).to_contain_text(offer.voucher_code)

    # The voucher letter with its code is in the outbox.
    [letter] = Letter.objects.filter(complaint=complaint, kind=LetterKind.OFFER_FULFILLED)
    assert letter.recipient == "alice@example.com"
    assert offer.voucher_code in letter.body_text
    assert "Your voucher for 2500.00 RUB" in letter.body_text
