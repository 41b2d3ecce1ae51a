from django.urls import path

from complaints import api

urlpatterns = [
    path("complaints/", api.ComplaintListCreateApi.as_view(), name="complaint-list"),
    path("complaints/<str:reference>/", api.ComplaintDetailApi.as_view(), name="complaint-detail"),
    path("complaints/<str:reference>/messages/", api.ComplaintMessageCreateApi.as_view(), name="complaint-messages"),
    path(
        "complaints/<str:reference>/transitions/",
        api.ComplaintTransitionApi.as_view(),
        name="complaint-transitions",
    ),
]
