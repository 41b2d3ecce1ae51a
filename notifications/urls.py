from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("mail/", views.inbound_list, name="inbound_list"),
    # The staff leads' pages.
    path("operations/", views.operations, name="operations"),
    path("operations/letters/<int:letter_id>/resend/", views.letter_resend, name="letter_resend"),
    path("operations/letters/resend-failed/", views.letters_resend_failed, name="letters_resend_failed"),
    path("health/", views.health, name="health"),
]
