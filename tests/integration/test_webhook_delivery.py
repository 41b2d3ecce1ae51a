"""Webhooks travel the real way: delivery rows written with the complaint → commit → Redis → a Celery worker
process → a signed POST to a receiver listening on the loopback interface, which checks the signature."""

import time
import uuid

import pytest

from notifications.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEventType
from tests.factories import submit_complaint, webhook_subscriber
from tests.integration.conftest import WORKER_WEBHOOK_RETRY_DELAYS, CeleryWorker
from tests.notifications.webhook_receiver import RECEIVER_SECRET, ReceivedRequest, WebhookReceiver

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SECRET = RECEIVER_SECRET


def _wait_for_delivery(delivery: WebhookDelivery, *, status: str, timeout: float = 20.0) -> WebhookDelivery:
    """Poll the row (the worker writes it from another process) until it has ``status``."""
    deadline = time.monotonic() + timeout
    while True:
        delivery.refresh_from_db()
        if delivery.status == status:
            return delivery
        if time.monotonic() > deadline:
            raise AssertionError(f"delivery {delivery.pk} is {delivery.status}; last_error={delivery.last_error!r}")
        time.sleep(0.1)


def _created(requests: list[ReceivedRequest]) -> list[ReceivedRequest]:
    return [r for r in requests if r.headers["X-Amends-Event"] == WebhookEventType.COMPLAINT_CREATED]


def test_a_submitted_complaint_reaches_the_receiver_signed(
    celery_worker_process: CeleryWorker, webhook_receiver: WebhookReceiver
) -> None:
    webhook_subscriber(url=webhook_receiver.url, secret=SECRET, events=[WebhookEventType.COMPLAINT_CREATED])

    complaint = submit_complaint(email=f"alice-{uuid.uuid4().hex[:8]}@example.com")

    [request] = _created(webhook_receiver.wait_for(1))
    assert request.signature_valid
    envelope = request.json()
    assert envelope["type"] == "complaint.created"
    assert envelope["data"]["reference"] == complaint.reference
    delivery = _wait_for_delivery(WebhookDelivery.objects.get(), status=WebhookDeliveryStatus.DELIVERED)
    assert request.headers["X-Amends-Delivery"] == str(delivery.event_id) == envelope["id"]
    assert (delivery.attempts, delivery.last_status_code) == (1, 200)
    time.sleep(1.0)
    assert len(webhook_receiver.requests) == 1  # delivered once


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt(
    celery_worker_process: CeleryWorker, webhook_receiver: WebhookReceiver
) -> None:
    assert WORKER_WEBHOOK_RETRY_DELAYS.startswith("0.3,0.3")
    webhook_receiver.statuses = [500, 500]
    webhook_subscriber(url=webhook_receiver.url, secret=SECRET, events=[WebhookEventType.COMPLAINT_CREATED])

    submit_complaint(email=f"alice-{uuid.uuid4().hex[:8]}@example.com")

    requests = webhook_receiver.wait_for(3)
    delivery = _wait_for_delivery(WebhookDelivery.objects.get(), status=WebhookDeliveryStatus.DELIVERED)
    # The delivery log: three attempts, the last answered 200; the receiver saw the same event three times.
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (3, 200, "")
    assert delivery.last_attempt_at is not None
    assert delivery.delivered_at is not None
    assert {r.headers["X-Amends-Delivery"] for r in requests} == {str(delivery.event_id)}
    assert all(r.signature_valid for r in requests)
    assert [r.body for r in requests] == [requests[0].body] * 3
    time.sleep(1.0)
    assert len(webhook_receiver.requests) == 3
    assert "webhooks_deliver_task" in celery_worker_process.log()
