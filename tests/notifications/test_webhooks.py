"""Outgoing webhooks: signatures, what each event says when the real services fire it, delivery to a real
loopback receiver, the retry schedule and giving up, exactly-once delivery, the sweep, and the managers' API."""

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compensation.incidents.services import incident_compensate
from compensation.models import IncidentCredit, OfferKind
from compensation.services import offer_decide, offer_fulfil, offer_propose
from complaints.models import Complaint
from complaints.services import complaint_assign, complaint_transition
from complaints.tokens import tracking_url
from config.exceptions import ApplicationError, PermissionRefused
from notifications.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEventType, WebhookSubscriber
from notifications.services import SendOutcome
from notifications.tasks import webhooks_deliver_task
from notifications.webhooks.services import (
    webhook_deliver,
    webhook_event_publish,
    webhook_redeliver,
    webhook_test_ping,
    webhooks_retry_due,
)
from notifications.webhooks.transport import webhook_signature, webhook_signature_verify
from tests.factories import (
    CustomerFactory,
    PurchaseFactory,
    agent,
    assigned_complaint,
    declare_incident,
    manager,
    submit_complaint,
    subscription,
    subscription_product,
    webhook_subscriber,
)
from tests.notifications.webhook_receiver import RECEIVER_SECRET, WebhookReceiver

pytestmark = pytest.mark.django_db

SECRET = RECEIVER_SECRET
PRODUCTION_DELAYS = [60, 300, 1800, 7200, 21600, 43200, 86400]
LIST = "/api/v1/webhooks/"


@pytest.fixture
def subscriber(webhook_receiver: WebhookReceiver) -> WebhookSubscriber:
    return webhook_subscriber(url=webhook_receiver.url, secret=SECRET)  # type: ignore[no-any-return]


def _deliveries(event_type: str) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(event_type=event_type).order_by("pk"))


def _client_for(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# --- signatures -------------------------------------------------------------------------------------------------


def test_a_signature_verifies_only_for_the_same_body_secret_and_a_recent_time() -> None:
    body = b'{"id":"1","type":"ping"}'
    now = int(time.time())
    header = webhook_signature(secret=SECRET, body=body, timestamp=now)

    assert header.startswith(f"t={now},v1=")
    assert webhook_signature_verify(SECRET, header, body, 300)
    assert webhook_signature_verify(SECRET, header, body.decode(), 300)
    # A changed byte, another secret, a replay after the tolerance, a garbled header: all refused.
    assert not webhook_signature_verify(SECRET, header, body.replace(b"ping", b"pong"), 300)
    assert not webhook_signature_verify("another-secret", header, body, 300)
    assert not webhook_signature_verify(SECRET, header, body, 300, now=now + 301)
    old = webhook_signature(secret=SECRET, body=body, timestamp=now - 3600)
    assert not webhook_signature_verify(SECRET, old, body, 300)
    assert not webhook_signature_verify(SECRET, "v1=abc", body, 300)
    assert not webhook_signature_verify(SECRET, "", body, 300)
    # While a secret is rotated a receiver may be sent two signatures; either may match.
    rotated = f"{header},v1={'0' * 64}"
    assert webhook_signature_verify(SECRET, rotated, body, 300)


# --- publishing: who gets what, and what it costs -----------------------------------------------------------------


def test_without_subscribers_an_event_costs_one_query_and_writes_nothing(
    django_assert_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_assert_num_queries(1):
        assert webhook_event_publish(event_type=WebhookEventType.COMPLAINT_CREATED, data={"reference": "x"}) == []
    with django_capture_on_commit_callbacks(execute=True):
        submit_complaint()
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.parametrize("subscribers", [1, 4])
def test_publishing_costs_the_same_queries_for_any_number_of_subscribers(
    subscribers: int, django_assert_num_queries: Any
) -> None:
    for n in range(subscribers):
        webhook_subscriber(url=f"http://127.0.0.1:9/{n}", name=f"System {n}")
    # One query finds the subscribers, one inserts their deliveries.
    with django_assert_num_queries(2):
        ids = webhook_event_publish(event_type=WebhookEventType.COMPLAINT_CREATED, data={"reference": "x"})
    assert len(ids) == subscribers
    assert WebhookDelivery.objects.values("event_id").distinct().count() == 1


def test_a_subscriber_gets_only_the_events_it_chose_and_an_inactive_one_none() -> None:
    offers_only = webhook_subscriber(url="http://127.0.0.1:9/offers", events=[WebhookEventType.OFFER_ACCEPTED])
    everything = webhook_subscriber(url="http://127.0.0.1:9/all", name="Data warehouse")
    webhook_subscriber(url="http://127.0.0.1:9/off", name="Switched off", is_active=False)

    complaint = submit_complaint()

    [delivery] = _deliveries(WebhookEventType.COMPLAINT_CREATED)
    assert delivery.subscriber == everything
    assert delivery.payload["data"]["reference"] == complaint.reference
    assert not WebhookDelivery.objects.filter(subscriber=offers_only).exists()


# --- what each event says, fired by the real services -------------------------------------------------------------


def _no_secrets(payload: dict[str, Any], complaint: Complaint, subscriber: WebhookSubscriber) -> None:
    text = json.dumps(payload)
    assert subscriber.secret not in text
    assert str(complaint.public_id) not in text
    assert tracking_url(complaint).rsplit("/", 2)[-2] not in text
    assert complaint.customer.email not in text


def test_complaint_created_carries_the_reference_status_and_ids(subscriber: WebhookSubscriber) -> None:
    customer: Any = CustomerFactory(email="alice@example.com", external_id="CRM-7")
    PurchaseFactory(customer=customer, order_number="ORD-1")

    complaint = submit_complaint(order_number="ORD-1")

    [delivery] = _deliveries(WebhookEventType.COMPLAINT_CREATED)
    envelope = delivery.payload
    assert set(envelope) == {"id", "type", "created_at", "data"}
    assert envelope["type"] == "complaint.created"
    assert envelope["id"] == str(delivery.event_id)
    assert datetime.fromisoformat(envelope["created_at"]).tzinfo is not None
    data = envelope["data"]
    assert data["reference"] == complaint.reference
    assert data["status"] == "new"
    assert data["category"] == complaint.category
    assert data["channel"] == "web"
    assert data["customer"] == {"id": customer.pk, "external_id": "CRM-7"}
    assert data["order_number"] == "ORD-1"
    assert data["received_at"] == complaint.received_at.isoformat()
    _no_secrets(envelope, complaint, subscriber)


def test_complaint_transitioned_says_from_to_the_action_and_who(subscriber: WebhookSubscriber, agent_bob: Any) -> None:
    complaint = submit_complaint()
    complaint_assign(complaint=complaint, assignee=agent_bob, actor=agent_bob)

    complaint_transition(complaint=complaint, action="start", actor=agent_bob)

    data = _deliveries(WebhookEventType.COMPLAINT_TRANSITIONED)[-1].payload["data"]
    assert data["reference"] == complaint.reference
    assert (data["from_status"], data["to_status"], data["action"]) == ("new", "in_progress", "start")
    assert data["actor"] == "bob"
    assert data["by_customer"] is False
    assert datetime.fromisoformat(data["changed_at"]).tzinfo is not None


@pytest.fixture
def complaint(agent_bob: Any) -> Complaint:
    return assigned_complaint(assignee=agent_bob)


def test_accepting_a_service_credit_tells_of_the_acceptance_and_the_credit(
    complaint: Complaint, agent_bob: Any, subscriber: WebhookSubscriber, django_assert_max_num_queries: Any
) -> None:
    offer = offer_propose(
        complaint=complaint, actor=agent_bob, kind=OfferKind.SERVICE_CREDIT, amount=Decimal("3.335"), reason="Sorry."
    )
    offer_decide(complaint=complaint, offer_id=offer.pk, accept=True)

    [accepted] = _deliveries(WebhookEventType.OFFER_ACCEPTED)
    [credit] = _deliveries(WebhookEventType.CREDIT_ISSUED)
    assert accepted.payload["data"] == {
        "offer_id": offer.pk,
        "complaint": complaint.reference,
        "customer_id": complaint.customer_id,
        "kind": "service_credit",
        "amount": "3.34",
        "currency": "RUB",
        "duration_days": None,
        "accepted_at": accepted.payload["data"]["accepted_at"],
    }
    assert credit.payload["data"]["source"] == "offer"
    assert (credit.payload["data"]["amount"], credit.payload["data"]["currency"]) == ("3.34", "RUB")
    assert credit.payload["data"]["billing_reference"] == f"CREDIT-{complaint.reference}-{offer.pk}"
    assert accepted.event_id != credit.event_id
    _no_secrets(credit.payload, complaint, subscriber)


def test_a_refund_is_a_credit_when_staff_fulfil_it_and_a_voucher_never(
    complaint: Complaint, agent_bob: Any, subscriber: WebhookSubscriber
) -> None:
    voucher = offer_propose(
        complaint=complaint, actor=agent_bob, kind=OfferKind.VOUCHER, amount=Decimal(500), reason="x"
    )
    offer_decide(complaint=complaint, offer_id=voucher.pk, accept=True)
    refund = offer_propose(
        complaint=complaint, actor=agent_bob, kind=OfferKind.REFUND, amount=Decimal(1990), reason="x"
    )
    offer_decide(complaint=complaint, offer_id=refund.pk, accept=True)
    assert len(_deliveries(WebhookEventType.OFFER_ACCEPTED)) == 2
    assert _deliveries(WebhookEventType.CREDIT_ISSUED) == []

    offer_fulfil(offer_id=refund.pk, actor=agent_bob, billing_reference="RF-2026-0042")

    [credit] = _deliveries(WebhookEventType.CREDIT_ISSUED)
    data = credit.payload["data"]
    assert (data["kind"], data["amount"], data["billing_reference"]) == ("refund", "1990.00", "RF-2026-0042")


START = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
END = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


@override_settings(INCIDENT_BATCH_SIZE=2)
def test_an_incident_publishes_a_credit_per_purchase_with_one_subscriber_query_per_batch(
    manager_carol: Any, django_capture_on_commit_callbacks: Any
) -> None:
    webhook_subscriber(url="http://127.0.0.1:9/billing", events=[WebhookEventType.CREDIT_ISSUED])
    hosting = subscription_product("hosting")
    for n in range(5):
        customer = CustomerFactory(email=f"site{n}@example.com")
        subscription(product=hosting, service_start=MARCH[0], service_end=MARCH[1], customer=customer)
    with time_machine.travel(END + timedelta(hours=3), tick=False):
        incident = declare_incident(actor=manager_carol, products=[hosting], started_at=START, ended_at=END)
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            incident_compensate(incident=incident, actor=manager_carol)

    subscriber_queries = [q for q in queries if 'FROM "notifications_webhooksubscriber"' in q["sql"]]
    assert len(subscriber_queries) == 3  # five customers, two to a batch
    credits = {c.purchase.order_number: c for c in IncidentCredit.objects.select_related("purchase")}
    events = _deliveries(WebhookEventType.CREDIT_ISSUED)
    assert sorted(d.payload["data"]["order_number"] for d in events) == sorted(credits)
    for delivery in events:
        data = delivery.payload["data"]
        credit = credits[data["order_number"]]
        assert data["source"] == "incident"
        assert data["incident_id"] == incident.pk
        assert (data["amount"], data["currency"]) == (f"{credit.amount:.2f}", credit.currency)
        assert data["window_start"] == START.isoformat()


# --- delivering -------------------------------------------------------------------------------------------------


def _published(subscriber: WebhookSubscriber) -> WebhookDelivery:
    [delivery_id] = webhook_event_publish(event_type=WebhookEventType.COMPLAINT_CREATED, data={"reference": "RC-1"})
    return WebhookDelivery.objects.get(pk=delivery_id)


def test_a_delivery_is_posted_signed_with_its_headers_and_logged(
    subscriber: WebhookSubscriber, webhook_receiver: WebhookReceiver
) -> None:
    delivery = _published(subscriber)

    assert webhook_deliver(delivery_id=delivery.pk).outcome is SendOutcome.SENT

    [request] = webhook_receiver.requests
    assert request.signature_valid
    assert request.path == "/hooks/amends"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "Amends-Webhooks/1"
    assert request.headers["X-Amends-Event"] == "complaint.created"
    assert request.headers["X-Amends-Delivery"] == str(delivery.event_id)
    assert request.json() == delivery.payload
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.DELIVERED
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (1, 200, "")
    assert delivery.response_excerpt == '{"received": true}'
    assert delivery.delivered_at is not None


def test_the_task_run_twice_sends_once(subscriber: WebhookSubscriber, webhook_receiver: WebhookReceiver) -> None:
    delivery = _published(subscriber)

    first = webhooks_deliver_task.apply(args=([delivery.pk],)).get()
    second = webhooks_deliver_task.apply(args=([delivery.pk],)).get()

    assert (first, second) == ({"sent": 1}, {"skipped": 1})
    assert len(webhook_receiver.requests) == 1


@override_settings(WEBHOOK_RETRY_DELAYS=PRODUCTION_DELAYS)
def test_failures_are_retried_on_the_schedule_and_given_up_after_the_last(
    subscriber: WebhookSubscriber, webhook_receiver: WebhookReceiver
) -> None:
    webhook_receiver.default_status = 500
    start = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        delivery = _published(subscriber)
    moment = start
    waits = []
    for attempt in range(1, len(PRODUCTION_DELAYS) + 1):
        with time_machine.travel(moment, tick=False):
            # Not due a second early.
            assert webhook_deliver(delivery_id=delivery.pk).outcome is SendOutcome.RETRY
            assert webhook_deliver(delivery_id=delivery.pk).outcome is SendOutcome.SKIPPED
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.status, delivery.last_status_code) == (attempt, "pending", 500)
        assert delivery.last_error.startswith("HTTP 500")
        waits.append((delivery.next_attempt_at - moment).total_seconds())
        moment = delivery.next_attempt_at
    assert waits == PRODUCTION_DELAYS

    with time_machine.travel(moment, tick=False):
        assert webhook_deliver(delivery_id=delivery.pk).outcome is SendOutcome.FAILED
        assert webhook_deliver(delivery_id=delivery.pk).outcome is SendOutcome.SKIPPED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDeliveryStatus.FAILED, len(PRODUCTION_DELAYS) + 1)
    assert len(webhook_receiver.requests) == len(PRODUCTION_DELAYS) + 1


@override_settings(WEBHOOK_TIMEOUT_SECONDS=0.3)
def test_a_slow_receiver_times_out_and_a_redirect_is_not_followed(
    subscriber: WebhookSubscriber, webhook_receiver: WebhookReceiver
) -> None:
    webhook_receiver.delay = 1.0
    slow = _published(subscriber)
    assert webhook_deliver(delivery_id=slow.pk).outcome is SendOutcome.RETRY
    slow.refresh_from_db()
    assert slow.last_status_code is None
    assert "timed out" in slow.last_error

    webhook_receiver.delay = 0
    webhook_receiver.statuses = [302]
    moved = _published(subscriber)
    assert webhook_deliver(delivery_id=moved.pk).outcome is SendOutcome.RETRY
    moved.refresh_from_db()
    assert (moved.last_status_code, moved.status) == (302, WebhookDeliveryStatus.PENDING)
    assert len(webhook_receiver.requests) == 2  # nothing went to the Location


def test_the_sweep_sends_what_the_broker_never_got(
    subscriber: WebhookSubscriber, webhook_receiver: WebhookReceiver
) -> None:
    delivery = _published(subscriber)  # never committed here, so no task was sent
    assert webhooks_retry_due() == 0  # not late yet: its own task may still come

    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert webhooks_retry_due() == 1

    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.DELIVERED
    assert len(webhook_receiver.requests) == 1


def test_a_manager_retries_a_failed_delivery_and_a_delivered_one_is_not_sent_again(
    subscriber: WebhookSubscriber,
    webhook_receiver: WebhookReceiver,
    manager_carol: Any,
    agent_bob: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    delivery = _published(subscriber)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDeliveryStatus.FAILED, attempts=8)
    with pytest.raises(PermissionRefused):
        webhook_redeliver(delivery_id=delivery.pk, actor=agent_bob)

    with django_capture_on_commit_callbacks(execute=True):
        webhook_redeliver(delivery_id=delivery.pk, actor=manager_carol)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDeliveryStatus.DELIVERED, 1)
    with pytest.raises(ApplicationError, match="delivered already"):
        webhook_redeliver(delivery_id=delivery.pk, actor=manager_carol)
    assert len(webhook_receiver.requests) == 1


def test_a_test_ping_reaches_a_subscriber_of_other_events(
    webhook_receiver: WebhookReceiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscriber = webhook_subscriber(url=webhook_receiver.url, secret=SECRET, events=[WebhookEventType.CREDIT_ISSUED])
    with django_capture_on_commit_callbacks(execute=True):
        webhook_test_ping(subscriber=subscriber)
    [request] = webhook_receiver.requests
    assert request.signature_valid
    assert request.json()["type"] == "ping"
    assert request.headers["X-Amends-Event"] == "ping"


# --- private addresses ------------------------------------------------------------------------------------------


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False)
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
    ],
)
def test_private_addresses_are_refused_with_a_clear_message(url: str, manager_carol: Any) -> None:
    response = _client_for(manager_carol).post(LIST, {"name": "Internal", "url": url}, format="json")
    assert response.status_code == 400
    assert "private or local network" in response.json()["url"][0]
    assert not WebhookSubscriber.objects.exists()


def test_other_schemes_are_refused(manager_carol: Any) -> None:
    response = _client_for(manager_carol).post(LIST, {"name": "FTP", "url": "ftp://example.com/x"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["url"]


def test_an_address_allowed_once_is_checked_again_at_delivery(
    subscriber: WebhookSubscriber, webhook_receiver: WebhookReceiver
) -> None:
    delivery = _published(subscriber)
    with override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False):
        assert webhook_deliver(delivery_id=delivery.pk).outcome is SendOutcome.RETRY
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("refused:")
    assert webhook_receiver.requests == []


# --- the API ----------------------------------------------------------------------------------------------------


def test_only_managers_use_the_webhooks_api(agent_bob: Any, lead_tess: Any, manager_carol: Any) -> None:
    existing = webhook_subscriber(url="http://127.0.0.1:9/x")
    urls = [LIST, f"{LIST}{existing.pk}/", f"{LIST}{existing.pk}/deliveries/"]
    for user in (agent_bob, lead_tess):
        client = _client_for(user)
        assert [client.get(url).status_code for url in urls] == [403, 403, 403]
        assert client.post(LIST, {"name": "x", "url": "http://127.0.0.1:9/"}, format="json").status_code == 403
        assert client.delete(f"{LIST}{existing.pk}/").status_code == 403
    assert [APIClient().get(url).status_code for url in urls] == [401, 401, 401]
    carol = _client_for(manager_carol)
    assert [carol.get(url).status_code for url in urls] == [200, 200, 200]


def test_a_manager_adds_changes_and_removes_a_subscriber_and_sees_the_secret_once(manager_carol: Any) -> None:
    carol = _client_for(manager_carol)

    created = carol.post(
        LIST,
        {"name": "Billing", "url": "https://billing.example.com/hooks", "events": ["credit.issued"]},
        format="json",
    )

    assert created.status_code == 201
    body = created.json()
    secret = body["secret"]
    assert len(secret) >= 43
    assert WebhookSubscriber.objects.get(pk=body["id"]).secret == secret
    assert (body["events"], body["created_by"], body["is_active"]) == (["credit.issued"], "carol", True)
    detail = carol.get(f"{LIST}{body['id']}/").json()
    assert "secret" not in detail
    assert "secret" not in carol.get(LIST).json()["results"][0]

    changed = carol.patch(f"{LIST}{body['id']}/", {"events": [], "is_active": False}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["events"], changed.json()["is_active"], changed.json()["name"]) == ([], False, "Billing")
    assert carol.patch(f"{LIST}{body['id']}/", {"events": ["nope"]}, format="json").status_code == 400
    assert carol.patch(f"{LIST}{body['id']}/", {"secret": "short"}, format="json").status_code == 400

    assert carol.delete(f"{LIST}{body['id']}/").status_code == 204
    assert carol.get(f"{LIST}{body['id']}/").status_code == 404


def test_a_chosen_secret_is_kept(manager_carol: Any) -> None:
    carol = _client_for(manager_carol)
    created = carol.post(LIST, {"name": "CRM", "url": "https://crm.example.com/", "secret": SECRET}, format="json")
    assert created.json()["secret"] == SECRET


@pytest.mark.parametrize("count", [3, 30])
def test_the_delivery_log_filters_and_pages_in_bounded_queries(
    count: int, manager_carol: Any, django_assert_max_num_queries: Any
) -> None:
    subscriber = webhook_subscriber(url="http://127.0.0.1:9/x")
    for n in range(count):
        webhook_event_publish(event_type=WebhookEventType.COMPLAINT_CREATED, data={"n": n})
    webhook_event_publish(event_type=WebhookEventType.OFFER_ACCEPTED, data={"offer_id": 1})
    WebhookDelivery.objects.filter(payload__data__n=0).update(status=WebhookDeliveryStatus.FAILED)
    carol = _client_for(manager_carol)
    url = f"{LIST}{subscriber.pk}/deliveries/"

    with django_assert_max_num_queries(6):
        page = carol.get(url, {"page_size": 50})
    assert len(page.json()["results"]) == count + 1
    assert page.json()["results"][0]["event_type"] == "offer.accepted"

    failed = carol.get(url, {"status": "failed"}).json()["results"]
    assert [row["payload"]["data"] for row in failed] == [{"n": 0}]
    offers = carol.get(url, {"event_type": "offer.accepted"}).json()["results"]
    assert [row["event_type"] for row in offers] == ["offer.accepted"]
    assert carol.get(url, {"status": "lost"}).status_code == 400
    assert carol.get(url, {"event_type": "nope"}).status_code == 400
    first = carol.get(url, {"page_size": 2}).json()
    assert len(first["results"]) == 2
    assert first["next"]


@pytest.mark.parametrize("count", [2, 20])
def test_the_subscriber_list_is_bounded(count: int, manager_carol: Any, django_assert_max_num_queries: Any) -> None:
    for n in range(count):
        webhook_subscriber(url=f"http://127.0.0.1:9/{n}", name=f"System {n}", actor=manager_carol)
    with django_assert_max_num_queries(6):
        response = _client_for(manager_carol).get(LIST, {"page_size": 50})
    assert len(response.json()["results"]) == count


def test_ping_and_retry_through_the_api(
    subscriber: WebhookSubscriber,
    webhook_receiver: WebhookReceiver,
    manager_carol: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    carol = _client_for(manager_carol)
    with django_capture_on_commit_callbacks(execute=True):
        ping = carol.post(f"{LIST}{subscriber.pk}/ping/")
    assert ping.status_code == 202
    assert ping.json()["event_type"] == "ping"
    assert webhook_receiver.wait_for(1)[0].json()["type"] == "ping"

    delivery = _published(subscriber)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDeliveryStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        retried = carol.post(f"{LIST}{subscriber.pk}/deliveries/{delivery.pk}/retry/")
    assert retried.status_code == 202
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.DELIVERED
    assert carol.post(f"{LIST}{subscriber.pk}/deliveries/{delivery.pk}/retry/").status_code == 400
    assert carol.post(f"{LIST}{subscriber.pk}/deliveries/999999/retry/").status_code == 404


# --- the admin --------------------------------------------------------------------------------------------------


def _admin_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_adds_a_subscriber_in_the_admin_and_sees_the_secret_once(
    webhook_receiver: WebhookReceiver, django_capture_on_commit_callbacks: Any
) -> None:
    carol = _admin_client(manager("carol", is_staff=True))

    response = carol.post(
        reverse("admin:notifications_webhooksubscriber_add"),
        {"name": "Billing", "url": webhook_receiver.url, "events": ["credit.issued"], "is_active": "on"},
        follow=True,
    )

    subscriber = WebhookSubscriber.objects.get()
    assert (subscriber.events, subscriber.created_by.username) == (["credit.issued"], "carol")  # type: ignore[union-attr]
    assert subscriber.secret in response.content.decode()
    change = carol.get(reverse("admin:notifications_webhooksubscriber_change", args=[subscriber.pk])).content.decode()
    assert subscriber.secret not in change
    assert "••••••••" + subscriber.secret[-4:] in change

    webhook_receiver.secret = subscriber.secret
    with django_capture_on_commit_callbacks(execute=True):
        carol.post(
            reverse("admin:notifications_webhooksubscriber_changelist"),
            {"action": "send_test_ping", "_selected_action": [subscriber.pk]},
        )
    [ping] = webhook_receiver.requests
    assert ping.signature_valid
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDeliveryStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        carol.post(
            reverse("admin:notifications_webhookdelivery_changelist"),
            {"action": "retry_now", "_selected_action": [delivery.pk]},
        )
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.DELIVERED
    assert carol.get(reverse("admin:notifications_webhookdelivery_changelist") + "?status=delivered").status_code == 200


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False)
def test_the_admin_refuses_a_private_address_and_agents_do_not_see_webhooks() -> None:
    carol = _admin_client(manager("carol", is_staff=True))
    response = carol.post(
        reverse("admin:notifications_webhooksubscriber_add"), {"name": "Internal", "url": "http://10.0.0.7/hook"}
    )
    assert "private or local network" in response.content.decode()
    assert not WebhookSubscriber.objects.exists()
    bob = _admin_client(agent("bob", is_staff=True))
    assert bob.get(reverse("admin:notifications_webhooksubscriber_changelist")).status_code == 403
    assert bob.get(reverse("admin:notifications_webhookdelivery_changelist")).status_code == 403
