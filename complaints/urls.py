from django.urls import path

from complaints.views import public

app_name = "complaints"

urlpatterns = [
    path("complaints/new/", public.complaint_new, name="new"),
    path("track/<str:token>/", public.complaint_track, name="track"),
]
