from django.urls import path

from complaints.views import attachments, public

app_name = "complaints"

urlpatterns = [
    path("complaints/new/", public.complaint_new, name="new"),
    path("track/lost/", public.lost_link, name="lost_link"),
    path("track/<str:token>/", public.complaint_track, name="track"),
    path("track/<str:token>/reply/", public.complaint_track_reply, name="track_reply"),
    path("track/<str:token>/rate/", public.complaint_track_rate, name="track_rate"),
    path("track/<str:token>/reopen/", public.complaint_track_reopen, name="track_reopen"),
    path("track/<str:token>/offer/", public.complaint_track_offer, name="track_offer"),
    path("track/<str:token>/files/<uuid:public_id>/", attachments.attachment_download_customer, name="attachment"),
]
