"""The offers API under /api/v1/complaints/<reference>/offers/: per-role permissions and bounded queries."""

from decimal import Decimal
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compensation.models import OfferStatus
from compensation.services import offer_decide, offer_propose
from complaints.models import Complaint
from tests.factories import CustomerFactory, PurchaseFactory, submit_complaint

pytestmark = pytest.mark.django_db

LIST_MAX_QUERIES = 6


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def complaint() -> Complaint:
    customer = CustomerFactory(email="alice@example.com")
    PurchaseFactory(customer=customer, order_number="ORD-1", amount=Decimal("4990.00"))
    return submit_complaint(order_number="ORD-1", category="delivery")


def _url(complaint: Complaint, suffix: str = "") -> str:
    return f"/api/v1/complaints/{complaint.reference}/offers/{suffix}"


def test_an_agent_proposes_within_and_above_the_limit(complaint, agent_bob):
    api = _api(agent_bob)
    within = api.post(_url(complaint), {"kind": "voucher", "amount": "499.00", "reason": "Sorry."}, format="json")
    above = api.post(_url(complaint), {"kind": "voucher", "amount": "5000", "reason": "Sorry."}, format="json")
    assert (within.status_code, above.status_code) == (201, 201)
    assert within.json()["status"] == "offered"
    assert above.json()["status"] == "pending_approval"
    assert (above.json()["amount"], above.json()["suggested_amount"]) == ("5000.00", "499.00")
    assert above.json()["suggestion_basis"]["method"] == "percent"
    refused = api.post(_url(complaint), {"kind": "refund", "reason": "Sorry."}, format="json")
    assert refused.status_code == 400
    assert refused.json()["extra"]["field"] == "amount"


def test_approving_is_for_managers(complaint, agent_bob, lead_tess, manager_carol):
    offer = offer_propose(complaint=complaint, actor=agent_bob, kind="voucher", amount=Decimal("5000"), reason="x")
    assert _api(agent_bob).post(_url(complaint, f"{offer.pk}/approve/")).status_code == 403
    assert _api(lead_tess).post(_url(complaint, f"{offer.pk}/approve/")).status_code == 403
    approved = _api(manager_carol).post(_url(complaint, f"{offer.pk}/approve/"))
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("offered", "carol")
    again = _api(manager_carol).post(_url(complaint, f"{offer.pk}/approve/"))
    assert again.status_code == 409


def test_reject_withdraw_and_fulfil(complaint, agent_bob, manager_carol):
    pending = offer_propose(complaint=complaint, actor=agent_bob, kind="voucher", amount=Decimal("5000"), reason="x")
    carol = _api(manager_carol)
    assert carol.post(_url(complaint, f"{pending.pk}/reject/"), {}, format="json").status_code == 400
    rejected = carol.post(_url(complaint, f"{pending.pk}/reject/"), {"reason": "Too much."}, format="json")
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")

    bob = _api(agent_bob)
    offered = offer_propose(complaint=complaint, actor=agent_bob, kind="voucher", amount=Decimal("100"), reason="x")
    withdrawn = bob.post(_url(complaint, f"{offered.pk}/withdraw/"), {"reason": "Wrong complaint."}, format="json")
    assert withdrawn.json()["status"] == "withdrawn"

    refund = offer_propose(complaint=complaint, actor=agent_bob, kind="refund", amount=Decimal("100"), reason="x")
    offer_decide(complaint=complaint, offer_id=refund.pk, accept=True)
    done = bob.post(_url(complaint, f"{refund.pk}/fulfil/"), {"billing_reference": "RF-1"}, format="json")
    assert (done.status_code, done.json()["status"], done.json()["billing_reference"]) == (200, "fulfilled", "RF-1")


def test_an_offer_of_another_complaint_is_not_found(complaint, manager_carol):
    other = submit_complaint(email="bob@example.com")
    offer = offer_propose(complaint=other, actor=manager_carol, kind="voucher", amount=Decimal("100"), reason="x")
    assert _api(manager_carol).post(_url(complaint, f"{offer.pk}/withdraw/")).status_code == 404


def test_outsiders_and_anonymous_are_refused(complaint, outsider_dave):
    assert APIClient().get(_url(complaint)).status_code in (401, 403)
    assert _api(outsider_dave).get(_url(complaint)).status_code == 403


@pytest.mark.parametrize("count", [1, 10])
def test_the_list_costs_the_same_few_queries_for_any_number_of_offers(
    complaint, manager_carol, count, django_assert_max_num_queries
):
    for i in range(count):
        offer_propose(complaint=complaint, actor=manager_carol, kind="voucher", amount=Decimal(100 + i), reason="x")
    api = _api(manager_carol)
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = api.get(_url(complaint))
    body = response.json()
    assert len(body) == count
    assert body[0]["proposed_by"] == "carol"
    assert body[0]["status"] == OfferStatus.OFFERED


def test_the_schema_describes_the_offers_api():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert "/api/v1/complaints/{reference}/offers/" in paths
    for step in ("approve", "reject", "withdraw", "fulfil"):
        assert f"/api/v1/complaints/{{reference}}/offers/{{offer_id}}/{step}/" in paths
    operations = {op["operationId"] for path in paths.values() for op in path.values() if isinstance(op, dict)}
    assert {"offer_list", "offer_propose", "offer_approve", "offer_reject", "offer_decide"} <= operations


def _decision_url(complaint: Complaint, offer_id: int, token: str | None = None) -> str:
    from complaints.tokens import tracking_token

    return f"/api/v1/track/{token or tracking_token(complaint)}/offers/{offer_id}/decision/"


def test_the_customer_accepts_by_the_tracking_token_and_gets_the_voucher_code(complaint, agent_bob):
    offer = offer_propose(complaint=complaint, actor=agent_bob, kind="voucher", amount=Decimal("500"), reason="x")
    client = APIClient()
    assert client.post(_decision_url(complaint, offer.pk, "forged"), {"decision": "accept"}).status_code == 404
    declined_without_reason = client.post(_decision_url(complaint, offer.pk), {"decision": "decline"}, format="json")
    assert declined_without_reason.status_code == 400

    accepted = client.post(_decision_url(complaint, offer.pk), {"decision": "accept"}, format="json")

    body = accepted.json()
    offer.refresh_from_db()
    assert accepted.status_code == 200
    assert (body["status"], body["amount"], body["voucher_code"]) == ("fulfilled", "500.00", offer.voucher_code)
    again = client.post(_decision_url(complaint, offer.pk), {"decision": "accept"}, format="json")
    assert (again.status_code, again.json()["message"]) == (400, "You have already answered this offer. Thank you!")


def test_the_customer_cannot_accept_an_offer_awaiting_approval_or_of_another_complaint(complaint, agent_bob):
    pending = offer_propose(complaint=complaint, actor=agent_bob, kind="voucher", amount=Decimal("9000"), reason="x")
    other = submit_complaint(email="eve@example.com")
    theirs = offer_propose(complaint=other, actor=agent_bob, kind="voucher", amount=Decimal("100"), reason="x")
    client = APIClient()
    assert client.post(_decision_url(complaint, pending.pk), {"decision": "accept"}, format="json").status_code == 400
    assert client.post(_decision_url(complaint, theirs.pk), {"decision": "accept"}, format="json").status_code == 400
    pending.refresh_from_db()
    theirs.refresh_from_db()
    assert (pending.status, theirs.status) == (OfferStatus.PENDING_APPROVAL, OfferStatus.OFFERED)
