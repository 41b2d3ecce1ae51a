from django.urls import path

from complaints.views import attachments, staff

app_name = "dashboard"

urlpatterns = [
    path("", staff.queue, name="queue"),
    path("complaints/<str:reference>/", staff.complaint_detail, name="complaint"),
    path("complaints/<str:reference>/reply/", staff.complaint_reply, name="reply"),
    path("complaints/<str:reference>/note/", staff.complaint_note, name="note"),
    path("complaints/<str:reference>/assign-to-me/", staff.complaint_assign_to_me, name="assign_to_me"),
    path("complaints/<str:reference>/transition/", staff.complaint_transition, name="transition"),
    path("complaints/<str:reference>/offer/", staff.complaint_offer, name="offer"),
    path("files/<uuid:public_id>/", attachments.attachment_download_staff, name="attachment"),
]
