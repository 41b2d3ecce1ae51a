from django.urls import path

from complaints.views import attachments, closing, composer, merge, navigation, offers, staff, teams

app_name = "dashboard"

urlpatterns = [
    path("", staff.queue, name="queue"),
    path("complaints/<str:reference>/", staff.complaint_detail, name="complaint"),
    path("complaints/<str:reference>/reply/", staff.complaint_reply, name="reply"),
    path("complaints/<str:reference>/note/", staff.complaint_note, name="note"),
    path("complaints/<str:reference>/assign-to-me/", staff.complaint_assign_to_me, name="assign_to_me"),
    path("complaints/<str:reference>/transition/", staff.complaint_transition, name="transition"),
    path("complaints/<str:reference>/change/", staff.complaint_change_field, name="change_field"),
    path("files/<uuid:public_id>/", attachments.attachment_download_staff, name="attachment"),
]

urlpatterns += [
    path("filters/", staff.saved_filter_create, name="saved_filter_create"),
    path("filters/<int:pk>/delete/", staff.saved_filter_remove, name="saved_filter_delete"),
]

# The reply composer: the reply form posts to reply/checked/ (the apology check, then the plain reply view).
urlpatterns += [
    path("complaints/<str:reference>/reply/checked/", composer.complaint_reply_checked, name="reply_checked"),
    path("complaints/<str:reference>/canned/<int:canned_id>/", composer.complaint_canned, name="canned"),
    path("complaints/<str:reference>/apology-check/", composer.complaint_apology_check, name="apology_check"),
]

# The queue's bulk bar: one operation on the ticked rows.
urlpatterns += [
    path("bulk/", staff.complaint_bulk, name="bulk"),
]

# Closing the loop, merging and linking, teams and duty, keyboard navigation: each part lists its own pages.
urlpatterns += closing.urlpatterns + merge.urlpatterns + teams.urlpatterns + navigation.urlpatterns
urlpatterns += offers.urlpatterns
