"""Closing the loop (ISO 10002's continual improvement): resolving records the outcome, the root cause and the
corrective action; declining the root cause; closing whether the customer accepted the outcome, and a refusal
or an unaccepted outcome tells the customer how to appeal."""

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compensation.services import offer_decide, offer_propose
from complaints.models import Complaint, ComplaintEvent, Outcome, Priority, RootCause, Status
from complaints.services import (
    REOPEN_WINDOW,
    complaint_change_priority,
    complaint_rate,
    complaint_reopen_by_customer,
    complaint_transition,
)
from complaints.tokens import tracking_path
from complaints.transitions import Action
from config.exceptions import ApplicationError, TransitionNotAllowed
from notifications.models import Letter
from tests.factories import closing_answers, submit_complaint

RESOLVED_AS: dict[str, Any] = {
    "outcome": Outcome.MONETARY,
    "root_cause": RootCause.BILLING_ERROR,
    "corrective_action": "The billing run now checks every invoice against the plan price.",
}
APPEAL_MSGID = (
    "If you disagree, you can appeal: open your complaint's page within %(days)s day and press “Appeal”, or "
    "simply reply to this letter. A senior colleague who was not involved in the decision will review it."
)
APPEAL_MSGID_PLURAL = APPEAL_MSGID.replace("%(days)s day ", "%(days)s days ")
SORRY_MSGID = (
    "We have closed your complaint. We are sorry that we could not settle it to your satisfaction: that is not "
    "the outcome we wanted for you."
)


def _appeal_text(language: str) -> str:
    """The appeal instructions as the customer's language says them (whatever the catalogue holds)."""
    days = REOPEN_WINDOW.days
    with translation.override(language):
        return ngettext(APPEAL_MSGID, APPEAL_MSGID_PLURAL, days) % {"days": days}


def _in_progress(**overrides: Any) -> Complaint:
    complaint = submit_complaint(**overrides)
    return complaint_transition(complaint=complaint, action=Action.START, actor=None)


def _resolved(agent: Any, **overrides: Any) -> Complaint:
    complaint = _in_progress(**overrides)
    return complaint_transition(
        complaint=complaint, action=Action.RESOLVE, actor=agent, comment="Refunded 200 RUB.", **RESOLVED_AS
    )


def _rejected(agent: Any, **overrides: Any) -> Complaint:
    complaint = submit_complaint(**overrides)
    return complaint_transition(
        complaint=complaint,
        action=Action.REJECT,
        actor=agent,
        comment="The warranty ended a year ago.",
        root_cause=RootCause.NO_FAULT,
    )


def _status_events(complaint: Complaint) -> list[ComplaintEvent]:
    return list(complaint.events.filter(kind=ComplaintEvent.Kind.STATUS_CHANGED).order_by("id"))


@pytest.fixture
def bob_client(client: Client, agent_bob: Any) -> Client:
    client.force_login(agent_bob)
    return client


def _page(reference: str) -> str:
    return f"/dashboard/complaints/{reference}/"


def _messages(html: str) -> list[str]:
    return re.findall(r'<li class="message [^"]*">(.*?)</li>', html, re.S)


# --- resolving --------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ({"outcome": ""}, "outcome"),
        ({"outcome": Outcome.REJECTED}, "outcome"),
        ({"outcome": "refund"}, "outcome"),
        ({"root_cause": ""}, "root_cause"),
        ({"root_cause": "gremlins"}, "root_cause"),
        ({"corrective_action": "  \n "}, "corrective_action"),
    ],
)
def test_resolving_asks_for_each_closing_field(agent_bob: Any, missing: dict[str, str], field: str) -> None:
    complaint = _in_progress()

    with pytest.raises(ApplicationError) as excinfo:
        complaint_transition(complaint=complaint, action=Action.RESOLVE, actor=agent_bob, **{**RESOLVED_AS, **missing})

    assert not isinstance(excinfo.value, TransitionNotAllowed)
    assert excinfo.value.extra == {"field": field}
    assert str(excinfo.value.message)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.outcome, complaint.root_cause) == (Status.IN_PROGRESS, "", "")
    assert not complaint.letters.filter(kind="resolution").exists()


@pytest.mark.django_db
def test_the_refusal_is_in_the_reader_s_language(agent_bob: Any) -> None:
    complaint = _in_progress()

    with translation.override("ru"), pytest.raises(ApplicationError) as excinfo:
        complaint_transition(complaint=complaint, action=Action.RESOLVE, actor=agent_bob)

    with translation.override("ru"):
        assert str(excinfo.value.message) == gettext("Choose the outcome: how was the complaint settled?")


@pytest.mark.django_db
def test_resolving_saves_the_closing_fields_and_shows_them_on_the_timeline(bob_client: Client, agent_bob: Any) -> None:
    complaint = _resolved(agent_bob)

    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED
    assert (complaint.outcome, complaint.root_cause, complaint.corrective_action) == (
        Outcome.MONETARY,
        RootCause.BILLING_ERROR,
        "The billing run now checks every invoice against the plan price.",
    )
    event = _status_events(complaint)[-1]
    assert event.data == {"action": "resolve", **RESOLVED_AS}
    html = bob_client.get(_page(complaint.reference)).content.decode()
    summary = re.search(r'<dl class="facts closing" data-testid="closing-summary">(.*?)</dl>', html, re.S)
    assert summary, "no closing summary on the timeline"
    assert "Monetary relief" in summary.group(1)
    assert "Billing error" in summary.group(1)
    assert "The billing run now checks every invoice against the plan price." in summary.group(1)


# --- declining --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_declining_records_the_root_cause_and_the_rejected_outcome(agent_bob: Any) -> None:
    complaint = _rejected(agent_bob)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.outcome, complaint.root_cause) == (
        Status.REJECTED,
        Outcome.REJECTED,
        RootCause.NO_FAULT,
    )
    assert complaint.corrective_action == ""
    assert _status_events(complaint)[-1].data == {
        "action": "reject",
        "outcome": "rejected",
        "root_cause": "no_fault",
        "corrective_action": "",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [({}, "root_cause"), ({"root_cause": "no_fault", "outcome": Outcome.MONETARY}, "outcome")],
)
def test_declining_needs_a_root_cause_and_no_other_outcome(agent_bob: Any, fields: dict[str, Any], field: str) -> None:
    complaint = submit_complaint()

    with pytest.raises(ApplicationError) as excinfo:
        complaint_transition(complaint=complaint, action=Action.REJECT, actor=agent_bob, comment="No.", **fields)

    assert excinfo.value.extra == {"field": field}
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW


@pytest.mark.django_db
def test_the_rejection_letter_gives_the_reasons_and_how_to_appeal(agent_bob: Any) -> None:
    complaint = _rejected(agent_bob)

    letter = complaint.letters.get(kind="rejection")
    text = " ".join(letter.body_text.split())
    assert "The warranty ended a year ago." in text
    assert _appeal_text("en") in text
    assert "within 14 days" in text
    assert "press “Appeal”" in text
    assert "reply to this letter" in text
    assert "A senior colleague who was not involved in the decision will review it." in text
    assert "within 14 days" in " ".join(letter.body_html.split())


# --- closing ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_closing_asks_whether_the_customer_accepted(agent_bob: Any) -> None:
    complaint = _resolved(agent_bob)

    with pytest.raises(ApplicationError) as excinfo:
        complaint_transition(complaint=complaint, action=Action.CLOSE, actor=agent_bob)

    assert excinfo.value.extra == {"field": "customer_accepted"}
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED


@pytest.mark.django_db
def test_closing_with_an_accepted_outcome_sends_no_letter(bob_client: Client, agent_bob: Any) -> None:
    complaint = _resolved(agent_bob)
    letters_before = Letter.objects.count()

    complaint_transition(complaint=complaint, action=Action.CLOSE, actor=agent_bob, customer_accepted=True)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.customer_accepted) == (Status.CLOSED, True)
    # What the resolution recorded stays.
    assert (complaint.outcome, complaint.root_cause) == (Outcome.MONETARY, RootCause.BILLING_ERROR)
    assert Letter.objects.count() == letters_before
    assert _status_events(complaint)[-1].data == {"action": "close", "customer_accepted": True}
    html = bob_client.get(_page(complaint.reference)).content.decode()
    assert "The customer accepted the outcome." in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ru"])
def test_closing_with_an_unaccepted_outcome_tells_the_customer_how_to_appeal(
    bob_client: Client, agent_bob: Any, language: str
) -> None:
    complaint = _resolved(agent_bob, language=language)

    complaint_transition(complaint=complaint, action=Action.CLOSE, actor=agent_bob, customer_accepted=False)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.customer_accepted) == (Status.CLOSED, False)
    letter = complaint.letters.get(kind="closed")
    assert letter.language == language
    assert letter.recipient == "alice@example.com"
    with translation.override(language):
        subject = gettext("Your complaint %(reference)s is closed") % {"reference": complaint.reference}
        sorry = gettext(SORRY_MSGID)
    assert letter.subject == subject
    text = " ".join(letter.body_text.split())
    assert sorry in text
    assert _appeal_text(language) in text
    assert str(REOPEN_WINDOW.days) in text
    html = " ".join(letter.body_html.split())
    assert f'<html lang="{language}">' in html
    assert _appeal_text(language) in html
    page = bob_client.get(_page(complaint.reference)).content.decode()
    assert "The customer did not accept the outcome: they were sent how to appeal." in page


# --- reopening --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reopening_clears_the_fields_and_keeps_them_in_the_history(agent_bob: Any) -> None:
    complaint = _resolved(agent_bob)
    complaint_transition(complaint=complaint, action=Action.CLOSE, actor=agent_bob, customer_accepted=False)

    complaint_transition(complaint=complaint, action=Action.REOPEN, actor=agent_bob, comment="Looking again.")

    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    assert (complaint.outcome, complaint.root_cause, complaint.corrective_action) == ("", "", "")
    assert complaint.customer_accepted is None
    assert _status_events(complaint)[-1].data == {
        "action": "reopen",
        "previous": {**RESOLVED_AS, "customer_accepted": False},
    }
    # The next resolution asks again.
    with pytest.raises(ApplicationError):
        complaint_transition(complaint=complaint, action=Action.RESOLVE, actor=agent_bob)


# --- the customer's appeal --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_declined_complaint_can_be_appealed_from_the_tracking_page(client: Client, agent_bob: Any) -> None:
    complaint = _rejected(agent_bob)
    page = client.get(tracking_path(complaint)).content.decode()
    assert '<button type="submit">Appeal</button>' in page
    assert "Reopen my complaint" not in page

    response = client.post(
        f"{tracking_path(complaint)}reopen/", {"reason": "The warranty is two years, not one."}, follow=True
    )

    assert response.status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    assert complaint.priority == Priority.HIGH
    event = _status_events(complaint)[-1]
    assert event.data["appeal"] is True
    assert event.by_customer
    assert event.body == "The warranty is two years, not one."
    raised = complaint.events.get(kind=ComplaintEvent.Kind.FIELD_CHANGED)
    assert raised.data["field"] == "priority"
    assert (raised.data["from"], raised.data["to"]) == (Priority.NORMAL, Priority.HIGH)
    assert not raised.is_public
    assert "You appealed: a senior colleague is reviewing the decision." in response.content.decode()


@pytest.mark.django_db
def test_an_unaccepted_outcome_is_appealed_and_an_urgent_one_stays_urgent(agent_bob: Any) -> None:
    complaint = _resolved(agent_bob)
    complaint_change_priority(complaint=complaint, actor=agent_bob, priority=Priority.URGENT, reason="VIP.")
    complaint_transition(complaint=complaint, action=Action.CLOSE, actor=agent_bob, customer_accepted=False)

    complaint_reopen_by_customer(complaint=complaint, reason="Still charged twice.")

    complaint.refresh_from_db()
    assert (complaint.status, complaint.priority) == (Status.IN_PROGRESS, Priority.URGENT)
    assert _status_events(complaint)[-1].data["appeal"] is True


@pytest.mark.django_db
def test_reopening_an_accepted_outcome_is_no_appeal(client: Client, agent_bob: Any) -> None:
    complaint = _resolved(agent_bob)
    complaint_transition(complaint=complaint, action=Action.CLOSE, actor=agent_bob, customer_accepted=True)
    page = client.get(tracking_path(complaint)).content.decode()
    assert "Reopen my complaint" in page
    assert '<button type="submit">Appeal</button>' not in page

    complaint_reopen_by_customer(complaint=complaint, reason="It broke again.")

    complaint.refresh_from_db()
    assert complaint.priority == Priority.NORMAL
    assert "appeal" not in _status_events(complaint)[-1].data


@pytest.mark.django_db
def test_the_window_counts_from_the_closure_and_from_the_refusal(agent_bob: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        closed = _resolved(agent_bob, email="closed@example.com")
        declined = _rejected(agent_bob, email="declined@example.com")
    with time_machine.travel(start + timedelta(days=10), tick=False):
        complaint_transition(complaint=closed, action=Action.CLOSE, actor=agent_bob, customer_accepted=False)

    # Day 20: 20 days after the resolution, but 10 after the closure.
    with time_machine.travel(start + timedelta(days=20), tick=False):
        complaint_reopen_by_customer(complaint=closed, reason="Not settled.")
        with pytest.raises(TransitionNotAllowed):
            complaint_reopen_by_customer(complaint=declined, reason="Too late.")

    closed.refresh_from_db()
    declined.refresh_from_db()
    assert (closed.status, declined.status) == (Status.IN_PROGRESS, Status.REJECTED)


# --- the complaint page's form ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_asks_what_the_allowed_actions_need(bob_client: Client, agent_bob: Any) -> None:
    working = _in_progress(email="working@example.com")
    resolved = _resolved(agent_bob, email="resolved@example.com")

    working_html = bob_client.get(_page(working.reference)).content.decode()
    resolved_html = bob_client.get(_page(resolved.reference)).content.decode()

    for name in ("outcome", "root_cause", "corrective_action"):
        assert f'name="{name}"' in working_html, name
        assert f'name="{name}"' not in resolved_html, name
    assert 'name="customer_accepted"' not in working_html
    assert resolved_html.count('name="customer_accepted"') == 2  # yes and no
    assert "Did the customer accept the outcome?" in resolved_html
    assert 'value="yes" checked' not in resolved_html  # nothing suggests it: staff choose


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["rated 5", "accepted an offer"])
def test_the_close_form_suggests_accepted_when_the_customer_seems_satisfied(
    bob_client: Client, agent_bob: Any, how: str
) -> None:
    complaint = _in_progress()
    if how == "accepted an offer":
        offer = offer_propose(
            complaint=complaint, actor=agent_bob, kind="voucher", amount=Decimal("500"), reason="Sorry"
        )
        offer_decide(complaint=complaint, offer_id=offer.pk, accept=True)
    complaint_transition(complaint=complaint, action=Action.RESOLVE, actor=agent_bob, **RESOLVED_AS)
    if how == "rated 5":
        complaint_rate(complaint=complaint, rating=5)

    html = bob_client.get(_page(complaint.reference)).content.decode()

    assert re.search(r'<input type="radio" name="customer_accepted" value="yes"[^>]* checked', html)


@pytest.mark.django_db
def test_resolving_from_the_page_saves_the_fields(bob_client: Client) -> None:
    complaint = _in_progress()

    response = bob_client.post(
        f"{_page(complaint.reference)}transition/",
        {"action": "resolve", "comment": "Refunded.", **RESOLVED_AS},
        follow=True,
    )

    assert "Done: Resolve." in _messages(response.content.decode())
    complaint.refresh_from_db()
    assert (complaint.status, complaint.outcome, complaint.root_cause) == (
        Status.RESOLVED,
        Outcome.MONETARY,
        RootCause.BILLING_ERROR,
    )


@pytest.mark.django_db
def test_a_refused_resolution_keeps_what_was_typed(bob_client: Client) -> None:
    complaint = _in_progress()

    response = bob_client.post(
        f"{_page(complaint.reference)}transition/",
        {"action": "resolve", "comment": "Refunded.", "outcome": "monetary", "root_cause": "billing_error"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert _messages(html) == ["Describe the corrective action taken, so that it does not happen again."]
    assert re.search(r'<option value="monetary" selected>', html)
    assert re.search(r'<option value="billing_error" selected>', html)
    assert "Refunded.</textarea>" in html
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS


@pytest.mark.django_db
def test_an_unknown_outcome_from_the_page_is_explained_not_a_server_error(bob_client: Client) -> None:
    complaint = _in_progress()

    response = bob_client.post(
        f"{_page(complaint.reference)}transition/", {"action": "resolve", "outcome": "<b>teleport</b>"}
    )

    assert response.status_code == 200
    [message] = _messages(response.content.decode())
    assert message.startswith("Outcome: Select a valid choice.")
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS


@pytest.mark.django_db
def test_declining_from_the_page_ignores_an_outcome_chosen_for_resolving(bob_client: Client) -> None:
    complaint = _in_progress()

    bob_client.post(
        f"{_page(complaint.reference)}transition/",
        {"action": "reject", "comment": "Out of warranty.", "outcome": "monetary", "root_cause": "no_fault"},
    )

    complaint.refresh_from_db()
    assert (complaint.status, complaint.outcome) == (Status.REJECTED, Outcome.REJECTED)


# --- the queue's bulk bar ---------------------------------------------------------------------------------


def _bulk(client: Client, complaints: list[Complaint], **fields: Any) -> str:
    response = client.post(
        "/dashboard/bulk/",
        {"selected": [c.reference for c in complaints], "operation": "transition", **fields},
        follow=True,
    )
    return " ".join(_messages(response.content.decode()))


@pytest.mark.django_db
def test_bulk_resolve_records_one_set_of_closing_fields_for_every_row(bob_client: Client) -> None:
    working = [_in_progress(email=f"w{i}@example.com") for i in range(3)]
    new = submit_complaint(email="new@example.com")

    message = _bulk(bob_client, [*working, new], action="resolve", **RESOLVED_AS)

    refs = ", ".join(c.reference for c in working)
    assert message == (
        f"Done for 3 complaints: {refs}; refused for 1 complaint: {new.reference}: "
        "A complaint that is “New” cannot be changed with “Resolve”."
    )
    for complaint in working:
        complaint.refresh_from_db()
        assert (complaint.status, complaint.outcome, complaint.root_cause, complaint.corrective_action) == (
            Status.RESOLVED,
            *RESOLVED_AS.values(),
        )
        assert _status_events(complaint)[-1].data == {"action": "resolve", **RESOLVED_AS}
    new.refresh_from_db()
    assert (new.status, new.outcome) == (Status.NEW, "")


@pytest.mark.django_db
def test_bulk_resolve_without_the_closing_fields_is_refused_once(bob_client: Client) -> None:
    working = [_in_progress(email=f"w{i}@example.com") for i in range(2)]

    message = _bulk(bob_client, working, action="resolve", root_cause="billing_error")

    assert message == "Choose the outcome: how was the complaint settled?"
    assert {c.status for c in Complaint.objects.filter(pk__in=[c.pk for c in working])} == {Status.IN_PROGRESS}


@pytest.mark.django_db
def test_bulk_reject_and_close(bob_client: Client, agent_bob: Any) -> None:
    working = [_in_progress(email=f"w{i}@example.com") for i in range(2)]
    resolved = [_resolved(agent_bob, email=f"r{i}@example.com") for i in range(2)]

    assert _bulk(bob_client, working, action="reject", comment="Out of warranty.") == (
        "Choose the root cause: what went wrong?"
    )
    _bulk(bob_client, working, action="reject", comment="Out of warranty.", root_cause="no_fault", outcome="monetary")
    assert _bulk(bob_client, resolved, action="close") == "Did the customer accept the outcome? Choose yes or no."
    _bulk(bob_client, resolved, action="close", customer_accepted="no")

    for complaint in working:
        complaint.refresh_from_db()
        assert (complaint.status, complaint.outcome, complaint.root_cause) == (
            Status.REJECTED,
            Outcome.REJECTED,
            RootCause.NO_FAULT,
        )
    for complaint in resolved:
        complaint.refresh_from_db()
        assert (complaint.status, complaint.customer_accepted) == (Status.CLOSED, False)
        assert complaint.letters.filter(kind="closed").count() == 1


@pytest.mark.django_db
def test_the_bulk_bar_offers_the_closing_fields_with_labels(bob_client: Client) -> None:
    submit_complaint()

    html = bob_client.get("/dashboard/", {"tab": "all"}).content.decode()

    for label in (
        "Outcome (to resolve)",
        "Root cause (to resolve or decline)",
        "Corrective action taken (to resolve)",
        "Did the customers accept the outcome? (to close)",
    ):
        assert label in html, label


# --- the API ----------------------------------------------------------------------------------------------


@pytest.fixture
def bob_api(agent_bob: Any) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent_bob).key}")
    return api


def _transitions(reference: str) -> str:
    return f"/api/v1/complaints/{reference}/transitions/"


@pytest.mark.django_db
def test_the_api_resolves_with_the_closing_fields(bob_api: APIClient) -> None:
    complaint = _in_progress()

    response = bob_api.post(_transitions(complaint.reference), {"action": "resolve", **RESOLVED_AS}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    complaint.refresh_from_db()
    assert (complaint.outcome, complaint.root_cause, complaint.corrective_action) == tuple(RESOLVED_AS.values())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": "resolve"}, "outcome"),
        ({"action": "resolve", "outcome": "monetary", "root_cause": "billing_error"}, "corrective_action"),
        ({"action": "reject", "comment": "No."}, "root_cause"),
    ],
)
def test_the_api_refuses_missing_closing_fields_with_a_400(
    bob_api: APIClient, data: dict[str, str], field: str
) -> None:
    complaint = _in_progress()

    response = bob_api.post(_transitions(complaint.reference), data, format="json")

    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["extra"]) == ("invalid", {"field": field})
    assert body["message"]
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"action": "resolve", **RESOLVED_AS, "root_cause": "gremlins"},
        {"action": "resolve", **RESOLVED_AS, "outcome": 7},
        {"action": "close", "customer_accepted": "perhaps"},
    ],
)
def test_the_api_refuses_malformed_closing_fields_with_a_400(bob_api: APIClient, data: dict[str, Any]) -> None:
    complaint = _in_progress()

    response = bob_api.post(_transitions(complaint.reference), data, format="json")

    assert response.status_code == 400
    assert set(response.json()) & {"root_cause", "outcome", "customer_accepted"}


@pytest.mark.django_db
def test_the_api_closes_with_the_customer_s_answer(bob_api: APIClient, agent_bob: Any) -> None:
    complaint = _resolved(agent_bob)

    refused = bob_api.post(_transitions(complaint.reference), {"action": "close"}, format="json")
    done = bob_api.post(
        _transitions(complaint.reference), {"action": "close", "customer_accepted": False}, format="json"
    )

    assert (refused.status_code, refused.json()["extra"]) == (400, {"field": "customer_accepted"})
    assert (done.status_code, done.json()["status"]) == (200, "closed")
    assert complaint.letters.filter(kind="closed").count() == 1


@pytest.mark.django_db
def test_the_openapi_schema_documents_the_closing_fields() -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()

    properties = schema["components"]["schemas"]["TransitionRequest"]["properties"]
    assert {"outcome", "root_cause", "corrective_action", "customer_accepted"} <= set(properties)
    assert properties["customer_accepted"]["nullable"] is True
    assert "Required to close" in properties["customer_accepted"]["description"]


# --- walking helpers used by other tests ------------------------------------------------------------------


def test_the_tests_closing_answers_are_accepted_by_the_service() -> None:
    from complaints.services import closing_values

    for action in (Action.RESOLVE, Action.REJECT, Action.CLOSE):
        assert closing_values(action=action, **closing_answers(action))
