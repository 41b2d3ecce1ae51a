from django.urls import path

from compensation import api

urlpatterns = [
    path("incidents/", api.IncidentListCreateApi.as_view(), name="incident-list"),
    path("incidents/<int:pk>/", api.IncidentDetailApi.as_view(), name="incident-detail"),
    path("incidents/<int:pk>/compensate/", api.IncidentCompensateApi.as_view(), name="incident-compensate"),
    path("incidents/<int:pk>/progress/", api.IncidentProgressApi.as_view(), name="incident-progress"),
]
