"""The webhooks REST API (/api/v1/webhooks/): managers add, change and remove subscribers, read each one's
delivery log, send a test ping and retry a delivery. The signing secret is write-only: it is shown once, in the
answer to the request that created the subscriber. Serializers check shape; ``notifications.webhooks.services``
decides."""

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.permissions import staff_user
from config.api import StandardPagination
from notifications.models import (
    SUBSCRIBABLE_EVENTS,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEventType,
    WebhookSubscriber,
)
from notifications.webhooks import selectors, services
from notifications.webhooks.permissions import can_manage_webhooks
from notifications.webhooks.transport import validate_webhook_url


class CanManageWebhooks(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_manage_webhooks(request.user)


class WebhookPagination(StandardPagination):
    ordering = ("-created_at", "-id")


# --- serializers ------------------------------------------------------------------------------------------

_EVENT_CHOICES = [(event.value, event.label) for event in SUBSCRIBABLE_EVENTS]


class WebhookSubscriberSerializer(serializers.ModelSerializer[WebhookSubscriber]):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=_EVENT_CHOICES),
        read_only=True,
        help_text="The events sent; empty means all of them.",
    )
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = WebhookSubscriber
        fields = ("id", "name", "url", "events", "is_active", "created_at", "created_by")
        read_only_fields = fields

    def get_created_by(self, obj: WebhookSubscriber) -> str | None:
        return obj.created_by.get_username() if obj.created_by else None


class WebhookSubscriberCreatedSerializer(WebhookSubscriberSerializer):
    """The answer to creating a subscriber: the only time its secret is shown."""

    secret = serializers.CharField(read_only=True, help_text="The signing secret. Keep it: it is not shown again.")

    class Meta(WebhookSubscriberSerializer.Meta):
        fields = (*WebhookSubscriberSerializer.Meta.fields, "secret")  # type: ignore[assignment]
        read_only_fields = fields  # type: ignore[assignment]


class WebhookSubscriberWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    url = serializers.URLField(
        max_length=500,
        validators=[validate_webhook_url],
        help_text="An http:// or https:// address the events are POSTed to.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=_EVENT_CHOICES),
        required=False,
        default=list,
        help_text="The events to send; empty or left out means all of them.",
    )
    secret = serializers.CharField(
        min_length=services.SECRET_MIN_LENGTH,
        max_length=128,
        required=False,
        trim_whitespace=False,
        write_only=True,
        help_text="The signing secret; left out on creation, one is made (and returned once).",
    )
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "response_excerpt",
            "created_at",
            "delivered_at",
            "payload",
        )
        read_only_fields = fields


def _subscriber(pk: int) -> WebhookSubscriber:
    subscriber = selectors.webhook_subscriber_get(pk=pk)
    if subscriber is None:
        raise Http404
    return subscriber


_MANAGERS_ONLY = {403: OpenApiResponse(description="Managers only.")}
_NOT_FOUND = {404: OpenApiResponse(description="No such subscriber (or delivery).")}
_REFUSED = {
    400: OpenApiResponse(description="Refused: a missing or invalid field, or an address on a private network.")
}


# --- views ------------------------------------------------------------------------------------------------


class WebhookSubscriberListCreateApi(APIView):
    permission_classes = [CanManageWebhooks]
    pagination_class = WebhookPagination

    @extend_schema(
        responses={200: WebhookSubscriberSerializer(many=True), **_MANAGERS_ONLY}, operation_id="webhook_list"
    )
    def get(self, request: Request) -> Response:
        paginator = WebhookPagination()
        page = paginator.paginate_queryset(selectors.webhook_subscriber_list(), request, view=self)
        return paginator.get_paginated_response(WebhookSubscriberSerializer(page, many=True).data)

    @extend_schema(
        request=WebhookSubscriberWriteSerializer,
        responses={201: WebhookSubscriberCreatedSerializer, **_REFUSED, **_MANAGERS_ONLY},
        operation_id="webhook_create",
    )
    def post(self, request: Request) -> Response:
        serializer = WebhookSubscriberWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscriber = services.webhook_subscriber_create(actor=staff_user(request.user), **serializer.validated_data)
        return Response(WebhookSubscriberCreatedSerializer(subscriber).data, status=status.HTTP_201_CREATED)


class WebhookSubscriberDetailApi(APIView):
    permission_classes = [CanManageWebhooks]

    @extend_schema(
        responses={200: WebhookSubscriberSerializer, **_MANAGERS_ONLY, **_NOT_FOUND},
        operation_id="webhook_retrieve",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(WebhookSubscriberSerializer(_subscriber(pk)).data)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        subscriber = _subscriber(pk)
        serializer = WebhookSubscriberWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.webhook_subscriber_update(
            subscriber=subscriber, actor=staff_user(request.user), **serializer.validated_data
        )
        return Response(WebhookSubscriberSerializer(_subscriber(pk)).data)

    @extend_schema(
        request=WebhookSubscriberWriteSerializer,
        responses={200: WebhookSubscriberSerializer, **_REFUSED, **_MANAGERS_ONLY, **_NOT_FOUND},
        operation_id="webhook_update",
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        request=WebhookSubscriberWriteSerializer(partial=True),
        responses={200: WebhookSubscriberSerializer, **_REFUSED, **_MANAGERS_ONLY, **_NOT_FOUND},
        operation_id="webhook_partial_update",
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Removed, with its delivery log."), **_MANAGERS_ONLY, **_NOT_FOUND},
        operation_id="webhook_delete",
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.webhook_subscriber_delete(subscriber=_subscriber(pk), actor=staff_user(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookPingApi(APIView):
    permission_classes = [CanManageWebhooks]

    @extend_schema(
        request=None,
        responses={202: WebhookDeliverySerializer, **_MANAGERS_ONLY, **_NOT_FOUND},
        operation_id="webhook_ping",
        description="Send the subscriber a `ping` event now, to check its receiver and the signature.",
    )
    def post(self, request: Request, pk: int) -> Response:
        delivery = services.webhook_test_ping(subscriber=_subscriber(pk), actor=staff_user(request.user))
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryListApi(APIView):
    permission_classes = [CanManageWebhooks]
    pagination_class = WebhookPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=WebhookDeliveryStatus.values),
            OpenApiParameter("event_type", str, enum=WebhookEventType.values),
        ],
        responses={
            200: WebhookDeliverySerializer(many=True),
            400: OpenApiResponse(description="An unknown status or event type."),
            **_MANAGERS_ONLY,
            **_NOT_FOUND,
        },
        operation_id="webhook_delivery_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        subscriber = _subscriber(pk)
        status_filter = request.query_params.get("status") or None
        if status_filter is not None and status_filter not in WebhookDeliveryStatus.values:
            message = _("Unknown status. Choose one of: %(statuses)s.") % {
                "statuses": ", ".join(WebhookDeliveryStatus.values)
            }
            return Response({"status": [message]}, status=400)
        type_filter = request.query_params.get("event_type") or None
        if type_filter is not None and type_filter not in WebhookEventType.values:
            message = _("Unknown event. Choose one of: %(events)s.") % {"events": ", ".join(WebhookEventType.values)}
            return Response({"event_type": [message]}, status=400)
        deliveries = selectors.webhook_delivery_list(
            subscriber_id=subscriber.pk, status=status_filter, event_type=type_filter
        )
        paginator = WebhookPagination()
        page = paginator.paginate_queryset(deliveries, request, view=self)
        return paginator.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class WebhookDeliveryRetryApi(APIView):
    permission_classes = [CanManageWebhooks]

    @extend_schema(
        request=None,
        responses={
            202: WebhookDeliverySerializer,
            400: OpenApiResponse(description="Delivered already: it is not sent twice."),
            **_MANAGERS_ONLY,
            **_NOT_FOUND,
        },
        operation_id="webhook_delivery_retry",
        description="Try a failed (or waiting) delivery again now.",
    )
    def post(self, request: Request, pk: int, delivery_id: int) -> Response:
        subscriber = _subscriber(pk)
        if not selectors.webhook_delivery_list(subscriber_id=subscriber.pk).filter(pk=delivery_id).exists():
            raise Http404
        delivery = services.webhook_redeliver(delivery_id=delivery_id, actor=staff_user(request.user))
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
