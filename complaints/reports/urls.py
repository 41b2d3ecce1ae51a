from django.urls import path

from complaints.views import reports

app_name = "reports"

urlpatterns = [
    path("", reports.report_index, name="index"),
    path("<slug:slug>/", reports.report_detail, name="detail"),
]
