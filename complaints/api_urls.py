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
    path("complaints/<str:reference>/merge/", api.ComplaintMergeApi.as_view(), name="complaint-merge"),
    path("complaints/<str:reference>/links/", api.ComplaintLinksApi.as_view(), name="complaint-links"),
]
