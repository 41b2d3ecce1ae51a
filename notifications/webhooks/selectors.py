"""Reads for webhooks: subscribers and their delivery logs, each in a bounded number of queries."""

from django.db.models import QuerySet

from notifications.models import WebhookDelivery, WebhookSubscriber


def webhook_subscriber_list() -> QuerySet[WebhookSubscriber]:
    return WebhookSubscriber.objects.select_related("created_by").order_by("-created_at", "-id")


def webhook_subscriber_get(*, pk: int) -> WebhookSubscriber | None:
    return WebhookSubscriber.objects.select_related("created_by").filter(pk=pk).first()


def webhook_delivery_list(
    *, subscriber_id: int, status: str | None = None, event_type: str | None = None
) -> QuerySet[WebhookDelivery]:
    """A subscriber's delivery log, newest first, optionally of one status and event type."""
    deliveries = WebhookDelivery.objects.filter(subscriber_id=subscriber_id)
    if status:
        deliveries = deliveries.filter(status=status)
    if event_type:
        deliveries = deliveries.filter(event_type=event_type)
    return deliveries.order_by("-created_at", "-id")
