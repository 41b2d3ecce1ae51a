from django.urls import path

from notifications.webhooks import api

urlpatterns = [
    path("webhooks/", api.WebhookSubscriberListCreateApi.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>/", api.WebhookSubscriberDetailApi.as_view(), name="webhook-detail"),
    path("webhooks/<int:pk>/ping/", api.WebhookPingApi.as_view(), name="webhook-ping"),
    path("webhooks/<int:pk>/deliveries/", api.WebhookDeliveryListApi.as_view(), name="webhook-deliveries"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_id>/retry/",
        api.WebhookDeliveryRetryApi.as_view(),
        name="webhook-delivery-retry",
    ),
]
