from django.urls import path

from compensation import api
from compensation.incidents import api as incidents_api

urlpatterns = [
    path("complaints/<reference:reference>/offers/", api.OfferListCreateApi.as_view(), name="offer-list"),
    path(
        "complaints/<reference:reference>/offers/<int:offer_id>/approve/",
        api.OfferApproveApi.as_view(),
        name="offer-approve",
    ),
    path(
        "complaints/<reference:reference>/offers/<int:offer_id>/reject/",
        api.OfferRejectApi.as_view(),
        name="offer-reject",
    ),
    path(
        "complaints/<reference:reference>/offers/<int:offer_id>/withdraw/",
        api.OfferWithdrawApi.as_view(),
        name="offer-withdraw",
    ),
    path(
        "complaints/<reference:reference>/offers/<int:offer_id>/fulfil/",
        api.OfferFulfilApi.as_view(),
        name="offer-fulfil",
    ),
    path(
        "track/<str:token>/offers/<int:offer_id>/decision/",
        api.CustomerOfferDecisionApi.as_view(),
        name="offer-decision",
    ),
    path("incidents/", incidents_api.IncidentListCreateApi.as_view(), name="incident-list"),
    path("incidents/<int:pk>/", incidents_api.IncidentDetailApi.as_view(), name="incident-detail"),
    path("incidents/<int:pk>/compensate/", incidents_api.IncidentCompensateApi.as_view(), name="incident-compensate"),
    path("incidents/<int:pk>/progress/", incidents_api.IncidentProgressApi.as_view(), name="incident-progress"),
]
