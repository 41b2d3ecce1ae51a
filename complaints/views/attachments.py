"""Downloads of attached files: for the holder of a tracking link, and for support staff.

Files are always sent as downloads with the type we sniffed when storing them, and with headers that stop
a browser from guessing another type or running anything inside them.
"""

import logging
import uuid

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from complaints.attachments import ALLOWED_TYPES, attachment_get_for_customer, attachment_get_for_staff
from complaints.models import Attachment
from complaints.views.access import staff_required

logger = logging.getLogger(__name__)


def attachment_file_response(attachment: Attachment) -> FileResponse:
    try:
        handle = attachment.file.storage.open(attachment.file.name or "", "rb")
    except (FileNotFoundError, IsADirectoryError):
        logger.error("Attachment %s is missing from storage (%s)", attachment.public_id, attachment.file.name)
        raise Http404 from None
    # The stored type was sniffed on upload; anything unexpected is sent as opaque bytes.
    content_type = attachment.content_type if attachment.content_type in ALLOWED_TYPES else "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def attachment_download_customer(request: HttpRequest, token: str, public_id: uuid.UUID) -> FileResponse:
    return attachment_file_response(attachment_get_for_customer(token=token, public_id=public_id))


@require_GET
@staff_required
def attachment_download_staff(request: HttpRequest, public_id: uuid.UUID) -> FileResponse:
    return attachment_file_response(attachment_get_for_staff(user=request.user, public_id=public_id))
