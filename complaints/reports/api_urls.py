from django.urls import path

from complaints.reports import api

urlpatterns = [
    path("reports/", api.ReportListApi.as_view(), name="report-list"),
    path("reports/<slug:slug>/", api.ReportDetailApi.as_view(), name="report-detail"),
]
