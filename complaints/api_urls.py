from django.urls import path

from complaints.api import core, files, letters, timeline

urlpatterns = [
    path("complaints/", core.ComplaintListCreateApi.as_view(), name="complaint-list"),
    path("complaints/<reference:reference>/", core.ComplaintDetailApi.as_view(), name="complaint-detail"),
    path(
        "complaints/<reference:reference>/messages/", timeline.ComplaintMessagesApi.as_view(), name="complaint-messages"
    ),
    path("complaints/<reference:reference>/notes/", timeline.ComplaintNoteApi.as_view(), name="complaint-notes"),
    path("complaints/<reference:reference>/assign/", timeline.ComplaintAssignApi.as_view(), name="complaint-assign"),
    path(
        "complaints/<reference:reference>/transitions/",
        core.ComplaintTransitionApi.as_view(),
        name="complaint-transitions",
    ),
    path("complaints/<reference:reference>/merge/", core.ComplaintMergeApi.as_view(), name="complaint-merge"),
    path("complaints/<reference:reference>/links/", core.ComplaintLinksApi.as_view(), name="complaint-links"),
    path(
        "complaints/<reference:reference>/attachments/",
        files.ComplaintAttachmentsApi.as_view(),
        name="complaint-attachments",
    ),
    path(
        "complaints/<reference:reference>/attachments/<uuid:public_id>/",
        files.ComplaintAttachmentDownloadApi.as_view(),
        name="complaint-attachment",
    ),
    path(
        "complaints/<reference:reference>/letters/", letters.ComplaintLetterListApi.as_view(), name="complaint-letters"
    ),
    path("letters/", letters.LetterListApi.as_view(), name="letter-list"),
]
