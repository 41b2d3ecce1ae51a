"""Offers on the dashboard and the tracking page: the suggestion and how we got it, suggested beside offered,
the managers' approvals queue, and what the customer sees."""

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from compensation.models import CompensationOffer, OfferKind, OfferStatus
from compensation.services import offer_decide, offer_propose, offers_expire
from complaints.models import Complaint
from complaints.tokens import tracking_path
from notifications.models import Letter, LetterKind
from tests.factories import CustomerFactory, PurchaseFactory, submit_complaint

pytestmark = pytest.mark.django_db

APPROVALS = "/dashboard/approvals/"
APPROVALS_MAX_QUERIES = 8


def _page(reference: str) -> str:
    return f"/dashboard/complaints/{reference}/"


@pytest.fixture
def complaint() -> Complaint:
    customer = CustomerFactory(email="alice@example.com", name="Alice Example")
    PurchaseFactory(customer=customer, order_number="ORD-1", amount=Decimal("4990.00"))
    return submit_complaint(order_number="ORD-1", category="delivery")


def _login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def test_the_offer_form_is_prefilled_with_the_suggestion_and_shows_how(client, complaint, agent_bob):
    html = _login(client, agent_bob).get(_page(complaint.reference)).content.decode()
    assert 'data-testid="offer-suggestion"' in html
    assert "Our policy suggests: <strong>Voucher 499.00 RUB</strong>" in html
    assert "How we got this figure" in html
    assert "Late deliveries: a 10 % voucher" in html
    form = html.split('data-testid="offer-form"', 1)[1].split("</form>", 1)[0]
    assert '<option value="voucher" selected>' in form
    assert 'value="499.00"' in form


def test_proposing_above_the_limit_on_the_page(client, complaint, agent_bob, manager_carol):
    response = _login(client, agent_bob).post(
        f"{_page(complaint.reference)}offer/",
        {"kind": "voucher", "amount": "2500", "currency": "RUB", "reason": "For the long wait."},
        follow=True,
    )
    html = response.content.decode()
    assert "The offer is above your limit: a manager has been asked to approve it." in html
    offers = html.split('data-testid="offers"', 1)[1].split("</ul>", 1)[0]
    assert "Awaiting approval" in offers
    assert "Offered: Voucher 2500.00 RUB · Suggested: Voucher 499.00 RUB" in offers
    assert 'data-testid="offer-approve"' not in offers  # Bob may not approve
    assert Letter.objects.filter(kind=LetterKind.OFFER_APPROVAL, recipient=manager_carol.email).count() == 1


def test_an_agent_gets_403_from_the_approvals_page_and_the_approve_button(client, complaint, agent_bob, lead_tess):
    offer = offer_propose(complaint=complaint, actor=lead_tess, kind="voucher", amount=Decimal("20000"), reason="x")
    _login(client, agent_bob)
    assert client.get(APPROVALS).status_code == 403
    refused = client.post(f"{_page(complaint.reference)}offers/{offer.pk}/approve/")
    assert refused.status_code == 403
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING_APPROVAL


def _pending(count: int, proposer: Any) -> list[CompensationOffer]:
    offers = []
    for i in range(count):
        complaint = submit_complaint(email=f"c{i}@example.com", name=f"Customer {i}")
        offers.append(
            offer_propose(
                complaint=complaint, actor=proposer, kind=OfferKind.VOUCHER, amount=Decimal(3000 + i), reason="Sorry."
            )
        )
    return offers


@pytest.mark.parametrize("count", [1, 12])
def test_the_approvals_page_lists_the_oldest_first_in_a_few_queries(
    client, agent_bob, manager_carol, count, django_assert_max_num_queries
):
    offers = _pending(count, agent_bob)
    _login(client, manager_carol)
    with django_assert_max_num_queries(APPROVALS_MAX_QUERIES):
        html = client.get(APPROVALS).content.decode()
    rows = html.split('data-testid="approvals"', 1)[1]
    positions = [rows.index(f'data-testid="approval-{offer.pk}"') for offer in offers]
    assert positions == sorted(positions)
    assert "Customer 0" in rows
    assert "Voucher 3000.00 RUB" in rows
    assert agent_bob.get_full_name() in rows


def test_a_manager_approves_and_rejects_on_the_approvals_page(client, agent_bob, manager_carol):
    first, second = _pending(2, agent_bob)
    _login(client, manager_carol)
    approved = client.post(
        f"{_page(first.complaint.reference)}offers/{first.pk}/approve/", {"next": APPROVALS}, follow=True
    )
    assert approved.redirect_chain[-1][0] == APPROVALS
    assert "Approved: the offer is on its way to the customer." in approved.content.decode()
    refused = client.post(
        f"{_page(second.complaint.reference)}offers/{second.pk}/reject/", {"next": APPROVALS}, follow=True
    )
    assert "Tell the proposer why the offer is not approved." in refused.content.decode()
    rejected = client.post(
        f"{_page(second.complaint.reference)}offers/{second.pk}/reject/",
        {"next": APPROVALS, "reason": "Too generous for a short delay."},
        follow=True,
    )
    html = rejected.content.decode()
    assert "Nothing waits for approval." in html
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (OfferStatus.OFFERED, OfferStatus.REJECTED)


def test_staff_mark_a_refund_fulfilled_on_the_complaint_page(client, complaint, agent_bob):
    offer = offer_propose(complaint=complaint, actor=agent_bob, kind="refund", amount=Decimal("1990"), reason="Sorry.")
    offer_decide(complaint=complaint, offer_id=offer.pk, accept=True)
    _login(client, agent_bob)
    assert 'data-testid="offer-fulfil"' in client.get(_page(complaint.reference)).content.decode()
    html = client.post(
        f"{_page(complaint.reference)}offers/{offer.pk}/fulfil/", {"billing_reference": "RF-77"}, follow=True
    ).content.decode()
    assert "Recorded as fulfilled: the customer has been told." in html
    assert "Billing reference: RF-77" in html


def test_the_customer_never_sees_an_offer_awaiting_approval(client, complaint, agent_bob):
    offer_propose(complaint=complaint, actor=agent_bob, kind="voucher", amount=Decimal("9000"), reason="Big sorry.")
    html = client.get(tracking_path(complaint)).content.decode()
    assert "Big sorry." not in html
    assert 'data-testid="offer"' not in html


def test_the_customer_sees_the_voucher_code_after_accepting(client, complaint, agent_bob):
    offer = offer_propose(complaint=complaint, actor=agent_bob, kind="voucher", amount=Decimal("500"), reason="Sorry.")
    page = client.get(tracking_path(complaint)).content.decode()
    assert 'data-testid="offer-expires"' in page
    response = client.post(f"{tracking_path(complaint)}offer/", {"offer": offer.pk, "decision": "accept"}, follow=True)
    offer.refresh_from_db()
    html = response.content.decode()
    voucher = html.split('data-testid="voucher"', 1)[1].split("</p>", 1)[0]
    assert offer.voucher_code is not None
    assert offer.voucher_code in voucher
    assert "Valid until" in voucher


def test_the_customer_sees_an_expired_offer_as_expired(client, complaint, agent_bob):
    from datetime import timedelta

    from django.utils import timezone

    offer_propose(complaint=complaint, actor=agent_bob, kind="voucher", amount=Decimal("500"), reason="Sorry.")
    offers_expire(now=timezone.now() + timedelta(days=15))
    html = client.get(tracking_path(complaint)).content.decode()
    assert '<strong data-testid="offer-status">Expired</strong>' in html
    assert "This offer expired before you answered it." in html
    assert "The offer expired: Voucher 500.00 RUB" in html
    assert "Accept the offer" not in html
