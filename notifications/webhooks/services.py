"""Outgoing webhooks, written the way letters are: an event is one ``WebhookDelivery`` row per subscriber, written
in the transaction that causes it (the outbox), handed to Celery after commit, retried with backoff, and given up
(``failed``, visible to managers) after the last retry. A beat sweep hands over again what the broker lost.

Every function here is safe to call twice: a delivery is claimed (``SELECT … FOR UPDATE SKIP LOCKED``, pending
and due only) before it is sent, so a duplicate task finds nothing to do.
"""

import json
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.exceptions import ApplicationError, PermissionRefused
from notifications.models import (
    SUBSCRIBABLE_EVENTS,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEventType,
    WebhookSubscriber,
)
from notifications.services import SendOutcome, SendResult, dispatch_in_chunks, send_each
from notifications.webhooks.permissions import can_manage_webhooks
from notifications.webhooks.transport import PostResult, validate_webhook_url, webhook_post, webhook_secret_new

logger = logging.getLogger(__name__)

# Deliveries per broker message when an event (or a batch of them) goes to the workers.
DISPATCH_CHUNK = 50
# The sweep hands a pending delivery to the broker again once it is this late: its own task should have run.
REDISPATCH_AFTER = timedelta(minutes=1)
# A retry due sooner than this goes to the broker with a countdown; a later one is left to the sweep (Redis hands
# a task waiting longer than its visibility timeout to a second worker, so long countdowns are not trusted to it).
COUNTDOWN_MAX_SECONDS = 600.0
SWEEP_LIMIT = 500
# A secret someone chooses must be at least this long.
SECRET_MIN_LENGTH = 24


# --- publishing ---------------------------------------------------------------------------------------------


def webhook_envelope(*, event_type: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The JSON every subscriber receives: ``{"id", "type", "created_at", "data"}``; ``id`` names the event
    (the same for every subscriber, and on every retry)."""
    return {"id": str(uuid.uuid4()), "type": str(event_type), "created_at": now.isoformat(), "data": data}


def webhook_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes POSTed (and signed): compact JSON with sorted keys, so every attempt sends the same body."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def webhook_events_publish(*, events: Sequence[tuple[str, dict[str, Any]]]) -> list[int]:
    """Write the deliveries of several events within the caller's transaction; workers send them after commit.

    One query finds the active subscribers for all of the events (and that is all it costs when there are
    none); the deliveries are inserted at once. Returns their ids.
    """
    if not events:
        return []
    subscribers = list(WebhookSubscriber.objects.filter(is_active=True).only("pk", "events"))
    if not subscribers:
        return []
    now = timezone.now()
    rows: list[WebhookDelivery] = []
    for event_type, data in events:
        wanting = [subscriber for subscriber in subscribers if subscriber.wants(event_type)]
        if not wanting:
            continue
        envelope = webhook_envelope(event_type=event_type, data=data, now=now)
        rows += [
            WebhookDelivery(
                subscriber_id=subscriber.pk,
                event_id=envelope["id"],
                event_type=event_type,
                payload=envelope,
                next_attempt_at=now,
                created_at=now,
            )
            for subscriber in wanting
        ]
    if not rows:
        return []
    delivery_ids = [row.pk for row in WebhookDelivery.objects.bulk_create(rows)]
    transaction.on_commit(lambda: webhook_deliveries_dispatch(delivery_ids=delivery_ids))
    return delivery_ids


def webhook_event_publish(*, event_type: str, data: dict[str, Any]) -> list[int]:
    """Write one event's deliveries (one per active subscriber that wants ``event_type``) in the caller's
    transaction, sent after commit. At most one query when no one subscribes."""
    return webhook_events_publish(events=[(event_type, data)])


# --- handing over to the broker -----------------------------------------------------------------------------


def webhook_deliveries_dispatch(*, delivery_ids: Sequence[int]) -> int:
    """Hand deliveries to the broker, ``DISPATCH_CHUNK`` to a task; returns how many tasks went. A broker outage
    is logged, not raised: the sweep hands them over later."""
    from notifications.tasks import webhooks_deliver_task

    return dispatch_in_chunks(delivery_ids, task=webhooks_deliver_task, size=DISPATCH_CHUNK, what="webhook deliveries")


def _retry_dispatch(*, delivery_id: int, countdown: float) -> bool:
    if countdown > COUNTDOWN_MAX_SECONDS:
        return False  # the sweep hands it over when it is due
    from notifications.tasks import webhooks_deliver_task

    try:
        webhooks_deliver_task.apply_async(([delivery_id],), countdown=countdown)
    except Exception:
        logger.warning("webhook delivery %s: broker unavailable, left for the sweep", delivery_id, exc_info=True)
        return False
    return True


# --- delivering ---------------------------------------------------------------------------------------------


def _record_attempt(*, delivery: WebhookDelivery, result: PostResult, at: datetime, give_up: bool) -> SendResult:
    attempts = delivery.attempts + 1
    logged: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": at,
        "last_status_code": result.status_code,
        "last_error": result.error,
        "response_excerpt": result.response_excerpt,
    }
    rows = WebhookDelivery.objects.filter(pk=delivery.pk)
    if result.delivered:
        rows.update(status=WebhookDeliveryStatus.DELIVERED, delivered_at=at, **logged)
        return SendResult(SendOutcome.SENT)
    delays = settings.WEBHOOK_RETRY_DELAYS
    if give_up or attempts > len(delays):
        rows.update(status=WebhookDeliveryStatus.FAILED, **logged)
        logger.error("webhook delivery %s failed for good after %s attempts: %s", delivery.pk, attempts, result.error)
        return SendResult(SendOutcome.FAILED)
    delay = float(delays[attempts - 1])
    rows.update(next_attempt_at=at + timedelta(seconds=delay), **logged)
    logger.warning(
        "webhook delivery %s attempt %s failed, retry in %.0fs: %s", delivery.pk, attempts, delay, result.error
    )
    return SendResult(SendOutcome.RETRY, retry_in=delay)


def webhook_deliver(*, delivery_id: int) -> SendResult:
    """Try to deliver one pending, due delivery once.

    The row is locked for the attempt (``SKIP LOCKED``: a second worker or a duplicate task skips it) and only a
    pending row that is due is taken, so a delivery is never POSTed twice at once, nor again once delivered. A
    2xx answer delivers it; anything else (another status, a timeout, a refused connection) counts an attempt and
    schedules the next one along ``WEBHOOK_RETRY_DELAYS``, or gives up after the last. Should the worker die
    mid-attempt, the lock goes with it and the row stays pending for the sweep.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscriber")
            .filter(pk=delivery_id, status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return SendResult(SendOutcome.SKIPPED)
        subscriber = delivery.subscriber
        if not subscriber.is_active:
            result = PostResult(None, error="the subscriber is switched off")
            return _record_attempt(delivery=delivery, result=result, at=now, give_up=True)
        result = webhook_post(
            url=subscriber.url,
            secret=subscriber.secret,
            event_type=delivery.event_type,
            event_id=str(delivery.event_id),
            body=webhook_body(delivery.payload),
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        )
        return _record_attempt(delivery=delivery, result=result, at=timezone.now(), give_up=False)


def webhook_deliveries_deliver(*, delivery_ids: Sequence[int]) -> dict[str, int]:
    """Deliver a chunk one after another (each claimed on its own by ``webhook_deliver``); a delivery to retry
    soon goes back to the broker alone, after its delay. Returns the count per outcome."""
    return send_each(
        delivery_ids,
        send=lambda delivery_id: webhook_deliver(delivery_id=delivery_id),
        retry_later=lambda delivery_id, delay: _retry_dispatch(delivery_id=delivery_id, countdown=delay),
    )


def webhooks_retry_due(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Hand to the broker the pending deliveries that should have been tried by now (a retry due later than a
    countdown is trusted with, a broker that was down at commit, a lost task); returns how many. Beat runs it
    every minute."""
    now = now or timezone.now()
    due_ids = list(
        WebhookDelivery.objects.filter(
            status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now - REDISPATCH_AFTER
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    webhook_deliveries_dispatch(delivery_ids=due_ids)
    return len(due_ids)


def _require_manager(actor: User) -> None:
    if not can_manage_webhooks(actor):
        raise PermissionRefused(_("Only managers manage webhooks."))


@transaction.atomic
def webhook_redeliver(*, delivery_id: int, actor: User) -> WebhookDelivery:
    """Try a delivery again now (managers): a failed one starts its retries afresh, a pending one waiting for its
    next attempt is tried at once. A delivered one is not sent again."""
    _require_manager(actor)
    delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:
        raise ApplicationError(_("There is no such delivery."))
    if delivery.status == WebhookDeliveryStatus.DELIVERED:
        raise ApplicationError(_("This delivery was delivered already; it is not sent twice."))
    changes: dict[str, Any] = {"status": WebhookDeliveryStatus.PENDING, "next_attempt_at": timezone.now()}
    if delivery.status == WebhookDeliveryStatus.FAILED:
        changes["attempts"] = 0
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
    transaction.on_commit(lambda: webhook_deliveries_dispatch(delivery_ids=[delivery_id]))
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def webhook_test_ping(*, subscriber: WebhookSubscriber, actor: User | None = None) -> WebhookDelivery:
    """Send the subscriber a ``ping`` event (whatever events it chose), to check its receiver and signature."""
    if actor is not None:
        _require_manager(actor)
    now = timezone.now()
    data = {"subscriber_id": subscriber.pk, "message": "Amends webhooks: test ping"}
    envelope = webhook_envelope(event_type=WebhookEventType.PING, data=data, now=now)
    delivery = WebhookDelivery.objects.create(
        subscriber=subscriber,
        event_id=envelope["id"],
        event_type=WebhookEventType.PING,
        payload=envelope,
        next_attempt_at=now,
        created_at=now,
    )
    delivery_id = delivery.pk
    transaction.on_commit(lambda: webhook_deliveries_dispatch(delivery_ids=[delivery_id]))
    return delivery


# --- subscribers --------------------------------------------------------------------------------------------


def _checked_url(url: str) -> str:
    url = url.strip()
    try:
        validate_webhook_url(url)
    except ValidationError as exc:
        raise ApplicationError(exc.messages[0], extra={"field": "url"}) from exc
    return url


def _checked_events(events: Sequence[str]) -> list[str]:
    unknown = [event for event in events if event not in SUBSCRIBABLE_EVENTS]
    if unknown:
        raise ApplicationError(
            _("Unknown event “%(event)s”. Choose from: %(events)s.")
            % {"event": unknown[0], "events": ", ".join(SUBSCRIBABLE_EVENTS)},
            extra={"field": "events"},
        )
    return list(dict.fromkeys(events))


def _checked_secret(secret: str) -> str:
    if not secret:
        return webhook_secret_new()
    if len(secret) < SECRET_MIN_LENGTH:
        raise ApplicationError(
            _("A secret must be at least %(count)s characters long; leave it empty to have one made for you.")
            % {"count": SECRET_MIN_LENGTH},
            extra={"field": "secret"},
        )
    return secret


@transaction.atomic
def webhook_subscriber_create(
    *,
    actor: User,
    name: str,
    url: str,
    events: Sequence[str] = (),
    secret: str = "",
    is_active: bool = True,
) -> WebhookSubscriber:
    """Add a subscriber (managers). Without a ``secret`` one is made (32 random bytes); the caller shows it once.
    ``events`` empty means every event."""
    _require_manager(actor)
    if not name.strip():
        raise ApplicationError(_("Give the subscriber a name."), extra={"field": "name"})
    return WebhookSubscriber.objects.create(
        name=name.strip(),
        url=_checked_url(url),
        secret=_checked_secret(secret),
        events=_checked_events(events),
        is_active=is_active,
        created_by=actor,
        created_at=timezone.now(),
    )


@transaction.atomic
def webhook_subscriber_update(
    *,
    subscriber: WebhookSubscriber,
    actor: User,
    name: str | None = None,
    url: str | None = None,
    events: Sequence[str] | None = None,
    secret: str | None = None,
    is_active: bool | None = None,
) -> WebhookSubscriber:
    """Change a subscriber (managers); what is not given stays. A new ``secret`` signs the next attempt on."""
    _require_manager(actor)
    fields: list[str] = []
    if name is not None:
        if not name.strip():
            raise ApplicationError(_("Give the subscriber a name."), extra={"field": "name"})
        subscriber.name = name.strip()
        fields.append("name")
    if url is not None:
        subscriber.url = _checked_url(url)
        fields.append("url")
    if events is not None:
        subscriber.events = _checked_events(events)
        fields.append("events")
    if secret:
        subscriber.secret = _checked_secret(secret)
        fields.append("secret")
    if is_active is not None:
        subscriber.is_active = is_active
        fields.append("is_active")
    if fields:
        subscriber.save(update_fields=fields)
    return subscriber


@transaction.atomic
def webhook_subscriber_delete(*, subscriber: WebhookSubscriber, actor: User) -> None:
    """Remove a subscriber and its delivery log (managers). Pending deliveries are not sent."""
    _require_manager(actor)
    subscriber.delete()
