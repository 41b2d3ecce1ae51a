from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbound_list, name="inbound_list"),
]
