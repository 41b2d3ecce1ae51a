"""The offer lifecycle as staff, managers and customers live it: proposals within and above a limit, approval,
rejection, withdrawal, expiry, acceptance and fulfilment, each on the timeline and in the letters."""

import ast
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from compensation.models import CompensationOffer, OfferKind, OfferStatus
from compensation.services import (
    offer_approve,
    offer_decide,
    offer_fulfil,
    offer_propose,
    offer_reject,
    offer_withdraw,
    offers_expire,
)
from compensation.services.offers import VOUCHER_ALPHABET, VOUCHER_CODE_LENGTH
from complaints.models import Complaint, ComplaintEvent
from config.exceptions import ApplicationError, PermissionRefused, TransitionNotAllowed
from notifications.models import Letter, LetterKind
from tests.factories import CustomerFactory, PurchaseFactory, assigned_complaint, submit_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(agent_bob: Any) -> Complaint:
    return assigned_complaint(assignee=agent_bob)


def _propose(complaint: Complaint, actor: Any, **fields: Any) -> CompensationOffer:
    values: dict[str, Any] = {"kind": OfferKind.VOUCHER, "amount": Decimal("500"), "reason": "For the trouble."}
    return offer_propose(complaint=complaint, actor=actor, **(values | fields))


def _kinds(complaint: Complaint) -> list[str]:
    return list(complaint.events.filter(data__has_key="offer_id").values_list("kind", flat=True))


def _letters(kind: str) -> list[Letter]:
    return list(Letter.objects.filter(kind=kind).order_by("pk"))


# --- approvals per role -------------------------------------------------------------------------------------------


def test_within_the_agents_limit_the_offer_goes_straight_to_the_customer(complaint, agent_bob):
    offer = _propose(complaint, agent_bob, amount=Decimal("2000"))

    assert offer.status == OfferStatus.OFFERED
    assert offer.approved_by == agent_bob
    assert offer.offered_at is not None
    assert offer.expires_at == offer.offered_at + timedelta(days=14)
    assert _kinds(complaint) == ["offer_proposed", "offer_approved", "staff_reply"]
    [letter] = _letters(LetterKind.OFFER)
    assert letter.recipient == "alice@example.com"
    assert "Voucher: 2000.00 RUB" in letter.body_text
    assert "The offer stands until" in letter.body_text


def test_above_the_agents_limit_the_offer_waits_for_a_manager(complaint, agent_bob, manager_carol):
    offer = _propose(complaint, agent_bob, amount=Decimal("2000.01"))

    assert offer.status == OfferStatus.PENDING_APPROVAL
    assert _kinds(complaint) == ["offer_proposed", "offer_approval_requested"]
    assert _letters(LetterKind.OFFER) == []
    [request] = _letters(LetterKind.OFFER_APPROVAL)
    assert request.recipient == manager_carol.email
    assert f"{complaint.reference}: an offer awaits your approval" == request.subject
    assert "Bob proposes to offer Alice Example “Voucher 2000.01 RUB”" in request.body_text
    assert f"{settings.PUBLIC_BASE_URL}/dashboard/approvals/" in request.body_text


@pytest.mark.parametrize(
    ("kind", "fields", "status"),
    [
        (OfferKind.FREE_PERIOD, {"duration_days": 30, "amount": None}, OfferStatus.OFFERED),
        (OfferKind.FREE_PERIOD, {"duration_days": 31, "amount": None}, OfferStatus.PENDING_APPROVAL),
        (OfferKind.VOUCHER, {"amount": Decimal("20"), "currency": "USD"}, OfferStatus.PENDING_APPROVAL),
    ],
)
def test_an_agents_free_days_and_foreign_currencies(complaint, agent_bob, kind, fields, status):
    assert _propose(complaint, agent_bob, kind=kind, **fields).status == status


def test_a_team_lead_may_offer_up_to_ten_thousand(complaint, lead_tess):
    assert _propose(complaint, lead_tess, amount=Decimal("10000")).status == OfferStatus.OFFERED
    assert _propose(complaint, lead_tess, amount=Decimal("10000.01")).status == OfferStatus.PENDING_APPROVAL
    assert (
        _propose(complaint, lead_tess, kind=OfferKind.FREE_PERIOD, amount=None, duration_days=90).status
        == OfferStatus.OFFERED
    )


def test_a_manager_is_unlimited_in_any_currency(complaint, manager_carol):
    offer = _propose(complaint, manager_carol, amount=Decimal("250000"), currency="EUR")
    assert offer.status == OfferStatus.OFFERED


def test_an_agent_cannot_approve(complaint, agent_bob, lead_tess):
    offer = _propose(complaint, lead_tess, amount=Decimal("50000"))
    with pytest.raises(PermissionRefused):
        offer_approve(offer_id=offer.pk, actor=agent_bob)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING_APPROVAL


def test_a_manager_approves_and_the_offer_goes_out_and_the_proposer_is_told(complaint, agent_bob, manager_carol):
    offer = _propose(complaint, agent_bob, amount=Decimal("3000"))

    offer_approve(offer_id=offer.pk, actor=manager_carol)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.OFFERED
    assert offer.approved_by == manager_carol
    assert _kinds(complaint) == [
        "offer_proposed",
        "offer_approval_requested",
        "offer_approved",
        "staff_reply",
    ]
    [told] = _letters(LetterKind.OFFER_REVIEWED)
    assert told.recipient == agent_bob.email
    assert told.subject == f"{complaint.reference}: your offer was approved"
    assert "approved your offer “Voucher 3000.00 RUB”" in told.body_text
    [letter] = _letters(LetterKind.OFFER)
    assert letter.recipient == "alice@example.com"
    with pytest.raises(TransitionNotAllowed):
        offer_approve(offer_id=offer.pk, actor=manager_carol)


def test_a_manager_rejects_with_a_reason_the_proposer_reads(complaint, agent_bob, manager_carol):
    offer = _propose(complaint, agent_bob, amount=Decimal("3000"))
    with pytest.raises(ApplicationError, match="why"):
        offer_reject(offer_id=offer.pk, actor=manager_carol, reason=" ")

    offer_reject(offer_id=offer.pk, actor=manager_carol, reason="Offer a replacement first.")

    offer.refresh_from_db()
    assert offer.status == OfferStatus.REJECTED
    assert offer.rejection_reason == "Offer a replacement first."
    event = complaint.events.get(kind=ComplaintEvent.Kind.OFFER_REJECTED)
    assert (event.is_public, event.body, event.author) == (False, "Offer a replacement first.", manager_carol)
    [told] = _letters(LetterKind.OFFER_REVIEWED)
    assert told.subject == f"{complaint.reference}: your offer was not approved"
    assert "Offer a replacement first." in told.body_text
    assert _letters(LetterKind.OFFER) == []


def test_withdrawing(complaint, agent_bob):
    pending = _propose(complaint, agent_bob, amount=Decimal("9000"))
    offer_withdraw(offer_id=pending.pk, actor=agent_bob, reason="Proposed by mistake.")
    pending.refresh_from_db()
    assert pending.status == OfferStatus.WITHDRAWN
    event = complaint.events.get(kind=ComplaintEvent.Kind.OFFER_WITHDRAWN)
    assert not event.is_public  # the customer never saw it
    offered = _propose(complaint, agent_bob)
    offer_withdraw(offer_id=offered.pk, actor=agent_bob)
    assert complaint.events.filter(kind=ComplaintEvent.Kind.OFFER_WITHDRAWN, is_public=True).count() == 1
    with pytest.raises(TransitionNotAllowed):
        offer_withdraw(offer_id=offered.pk, actor=agent_bob)


# --- the customer's answer, expiry, fulfilment --------------------------------------------------------------------


def test_accepting_a_voucher_issues_exactly_one_code_and_tells_the_customer(complaint, agent_bob):
    offer = _propose(complaint, agent_bob)

    offer_decide(complaint=complaint, offer_id=offer.pk, accept=True)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.FULFILLED
    code = cast(str, offer.voucher_code)
    assert len(code) == VOUCHER_CODE_LENGTH
    assert set(code) <= set(VOUCHER_ALPHABET)
    assert offer.fulfilled_at is not None
    assert offer.voucher_expires_on == (offer.fulfilled_at + timedelta(days=180)).date()
    assert offer.billing_reference == f"VOUCHER-{code}"
    assert CompensationOffer.objects.exclude(voucher_code=None).count() == 1
    assert _kinds(complaint)[-2:] == ["offer_accepted", "offer_fulfilled"]
    [letter] = _letters(LetterKind.OFFER_FULFILLED)
    assert letter.recipient == "alice@example.com"
    assert code in letter.body_text
    assert code in letter.body_html
    assert "Your voucher for 500.00 RUB" in letter.body_text
    with pytest.raises(ApplicationError, match="already answered"):
        offer_decide(complaint=complaint, offer_id=offer.pk, accept=True)
    assert CompensationOffer.objects.exclude(voucher_code=None).count() == 1


def test_a_credit_is_recorded_for_billing_on_acceptance(complaint, agent_bob):
    offer = _propose(complaint, agent_bob, kind=OfferKind.SERVICE_CREDIT, amount=Decimal("3.33"))
    offer_decide(complaint=complaint, offer_id=offer.pk, accept=True)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.FULFILLED
    assert offer.voucher_code is None
    assert offer.billing_reference == f"CREDIT-{complaint.reference}-{offer.pk}"
    [letter] = _letters(LetterKind.OFFER_FULFILLED)
    assert "Service credit: 3.33 RUB. You will see it on your next bill" in letter.body_text


def test_a_refund_is_fulfilled_by_staff_with_a_billing_reference(complaint, agent_bob):
    offer = _propose(complaint, agent_bob, kind=OfferKind.REFUND, amount=Decimal("1990"))
    offer_decide(complaint=complaint, offer_id=offer.pk, accept=True)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
    with pytest.raises(ApplicationError, match="reference"):
        offer_fulfil(offer_id=offer.pk, actor=agent_bob, billing_reference="")

    offer_fulfil(offer_id=offer.pk, actor=agent_bob, billing_reference="RF-2026-0042")

    offer.refresh_from_db()
    assert (offer.status, offer.fulfilled_by, offer.billing_reference) == (
        OfferStatus.FULFILLED,
        agent_bob,
        "RF-2026-0042",
    )
    event = complaint.events.get(kind=ComplaintEvent.Kind.OFFER_FULFILLED)
    assert event.is_public
    [letter] = _letters(LetterKind.OFFER_FULFILLED)
    assert "Refund: 1990.00 RUB" in letter.body_text
    assert "Our reference: RF-2026-0042" in letter.body_text
    with pytest.raises(TransitionNotAllowed):
        offer_fulfil(offer_id=offer.pk, actor=agent_bob, billing_reference="again")


def test_an_unanswered_offer_expires_after_fourteen_days(complaint, agent_bob):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        offer = _propose(complaint, agent_bob)
    assert offers_expire(now=start + timedelta(days=13, hours=23)) == 0

    assert offers_expire(now=start + timedelta(days=14)) == 1
    assert offers_expire(now=start + timedelta(days=15)) == 0  # safe to run again

    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    event = complaint.events.get(kind=ComplaintEvent.Kind.OFFER_EXPIRED)
    assert event.is_public
    [letter] = _letters(LetterKind.OFFER_EXPIRED)
    assert letter.recipient == "alice@example.com"
    assert "We are sorry we have not yet put things right for you" in letter.body_text
    assert "“Voucher 500.00 RUB”, has now expired" in letter.body_text


def test_accepting_after_the_deadline_expires_the_offer(complaint, agent_bob):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        offer = _propose(complaint, agent_bob)
    with (
        time_machine.travel(start + timedelta(days=15), tick=False),
        pytest.raises(ApplicationError, match="expired"),
    ):
        offer_decide(complaint=complaint, offer_id=offer.pk, accept=True)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    assert offer.voucher_code is None
    assert len(_letters(LetterKind.OFFER_EXPIRED)) == 1


def test_the_offer_keeps_the_policys_suggestion_beside_what_was_offered(agent_bob):
    customer = CustomerFactory(email="alice@example.com")
    PurchaseFactory(
        customer=customer, order_number="ORD-2", amount=Decimal("1990.00"), purchased_on=timezone.localdate()
    )
    complaint = submit_complaint(order_number="ORD-2")

    offer = _propose(complaint, agent_bob, kind=OfferKind.VOUCHER, amount=Decimal("300"))

    # Bought today, within the 14-day return window: the policy suggests a full refund.
    assert (offer.suggested_kind, offer.suggested_amount) == ("refund", Decimal("1990.00"))
    assert offer.suggestion_basis["rule"] == "Goods: refund within 14 days, warranty replacement, then 50 % back"
    assert (offer.kind, offer.amount) == ("voucher", Decimal("300.00"))


def test_only_the_offer_state_machine_assigns_an_offer_status():
    root = Path(settings.BASE_DIR)
    found = []
    for path in root.glob("compensation/**/*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if isinstance(func, ast.FunctionDef):
                for node in ast.walk(func):
                    if isinstance(node, ast.Assign) and any(
                        isinstance(t, ast.Attribute) and t.attr == "status" for t in node.targets
                    ):
                        found.append((path.relative_to(root).as_posix(), func.name))
    assert found == [("compensation/services/offers.py", "_offer_transition")]
