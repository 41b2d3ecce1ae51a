"""Files staff attach to a complaint (a photo from the warehouse, a courier's report): kept on the timeline as an
internal note, under the same rules as the customers' files (pictures and PDF, checked from their content)."""

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.attachments import attachment_save, attachments_validate
from complaints.models import Complaint, ComplaintEvent
from complaints.services.core import _lock, _require_handler, _touch
from config.exceptions import ApplicationError


@transaction.atomic
def complaint_files_add(
    *, complaint: Complaint | int, author: User, files: Sequence[UploadedFile[bytes]], body: str = ""
) -> ComplaintEvent:
    """Attach ``files`` to the complaint as one internal note (staff only: never shown or sent to the customer),
    with an optional ``body``. Returns the note; its attachments are saved with ``by_customer=False``.

    Raises ``ApplicationError`` naming the ``attachments`` field when there is no file, too many, or one that is
    empty, too large or not a picture or PDF; nothing is saved then.
    """
    _require_handler(author)
    uploads = attachments_validate(files)
    if not uploads:
        raise ApplicationError(_("Attach at least one file."), extra={"field": "attachments"})
    locked = _lock(complaint)
    now = timezone.now()
    _touch(locked, now, [])
    note = ComplaintEvent.objects.create(
        complaint=locked, kind=ComplaintEvent.Kind.INTERNAL_NOTE, author=author, body=body.strip(), created_at=now
    )
    for upload in uploads:
        attachment_save(complaint=locked, upload=upload, by_customer=False, event=note)
    return note
