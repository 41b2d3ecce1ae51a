"""Files attached to complaints: what we accept, how we store them, and who may read them back.

We accept pictures and PDF only, decided from the file's first bytes. The file name and the type the
browser declares are the sender's claims and are never trusted. Files are stored under random names in a
private folder that the web server does not serve; the download views in ``complaints.views.attachments``
hand them out after the checks below.
"""

import hashlib
import unicodedata
import uuid
from collections.abc import Sequence
from pathlib import PurePosixPath

from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from complaints.models import Attachment, Complaint, ComplaintEvent
from complaints.permissions import UserLike, can_view_complaints
from complaints.tokens import public_id_from_token
from config.exceptions import ApplicationError, PermissionRefused

MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# HEIC is left out: its "ftyp" brands overlap with AVIF and other ISO media files, and most browsers
# cannot show it anyway. iPhones convert to JPEG when uploading through a web form.
ALLOWED_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})

# Enough of the head for every signature below (WEBP needs 12 bytes).
SNIFF_BYTES = 16
# The model's original_name length.
_MAX_NAME = 255
_FALLBACK_NAME = "attachment"

_FIELD = {"field": "attachments"}


def sniff_content_type(head: bytes) -> str | None:
    """The content type from the file's first bytes (magic numbers), or None when it is not one we accept.

    Only PNG, JPEG, GIF, WEBP and PDF are recognised; anything else (SVG, HTML, scripts, archives,
    executables, an empty file) is None.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def attachment_display_name(name: str | None) -> str:
    """A name safe to store and show: the last path part, no control characters, at most 255 characters.

    The extension is kept when a long name is shortened. An empty result becomes "attachment".
    """
    # Old browsers send the whole Windows path as the name; only its last part is the file's name.
    name = (name or "").replace("\\", "/")
    name = PurePosixPath(name).name if name else ""
    # Cc: control characters (newlines would break headers and logs); Cf: invisible formatting such as the
    # right-to-left override that makes "gpj.exe" look like "exe.jpg".
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf"}).strip()
    if name in {"", ".", ".."}:
        return _FALLBACK_NAME
    if len(name) > _MAX_NAME:
        suffix = PurePosixPath(name).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        name = name[: _MAX_NAME - len(suffix)] + suffix
    return name


def _read_head(upload: UploadedFile[bytes]) -> bytes:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head if isinstance(head, bytes) else b""


def _upload_size(upload: UploadedFile[bytes]) -> int:
    if upload.size is not None:
        return upload.size
    upload.seek(0, 2)
    size = int(upload.tell())
    upload.seek(0)
    return size


def _not_accepted(name: str) -> ApplicationError:
    return ApplicationError(
        _("“%(name)s” is not a picture or a PDF. Please attach images (PNG, JPEG, GIF, WEBP) or PDF files.")
        % {"name": name},
        extra=_FIELD,
    )


def _too_large(name: str) -> ApplicationError:
    return ApplicationError(
        _("“%(name)s” is larger than %(megabytes)d MB.")
        % {"name": name, "megabytes": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
        extra=_FIELD,
    )


def _empty(name: str) -> ApplicationError:
    return ApplicationError(_("“%(name)s” is empty. Please attach it again.") % {"name": name}, extra=_FIELD)


def attachments_validate(files: Sequence[UploadedFile[bytes]]) -> list[UploadedFile[bytes]]:
    """Check a set of uploads before anything is written; returns them as a list (empty when none).

    Raises ``ApplicationError`` with ``extra={"field": "attachments"}`` and a message the customer can act
    on, naming the file, for: more than ``MAX_ATTACHMENTS`` files, an empty file, a file over
    ``MAX_ATTACHMENT_BYTES``, or content that is not an allowed picture or PDF. Reads only each file's head
    and leaves every file positioned at its start.
    """
    uploads = list(files)
    if len(uploads) > MAX_ATTACHMENTS:
        raise ApplicationError(
            ngettext(
                "You can attach up to %(limit)d file at a time.",
                "You can attach up to %(limit)d files at a time.",
                MAX_ATTACHMENTS,
            )
            % {"limit": MAX_ATTACHMENTS},
            extra=_FIELD,
        )
    for upload in uploads:
        name = attachment_display_name(upload.name)
        size = _upload_size(upload)
        if size == 0:
            raise _empty(name)
        if size > MAX_ATTACHMENT_BYTES:
            raise _too_large(name)
        if sniff_content_type(_read_head(upload)) not in ALLOWED_TYPES:
            raise _not_accepted(name)
    return uploads


def attachment_save(
    *,
    complaint: Complaint,
    upload: UploadedFile[bytes],
    by_customer: bool,
    event: ComplaintEvent | None = None,
) -> Attachment:
    """Store one upload for a complaint (optionally on a timeline event) and return its saved row.

    Call it inside the caller's transaction, after ``attachments_validate``. It checks the content again
    (so it is safe on its own) and raises the same ``ApplicationError`` for a file it refuses. The caller
    may rely on: ``content_type`` being the sniffed type (one of ``ALLOWED_TYPES``), ``size`` and
    ``sha256`` describing the bytes actually stored, ``original_name`` being a sanitised display name, and
    the file living under a random name below ``MEDIA_ROOT/private/``. A rolled-back transaction removes
    the row but not the stored file.
    """
    if event is not None and event.complaint_id != complaint.pk:
        raise ValueError("the event belongs to another complaint")
    name = attachment_display_name(upload.name)
    content_type = sniff_content_type(_read_head(upload))
    if content_type not in ALLOWED_TYPES:
        raise _not_accepted(name)
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():  # chunks() starts from the beginning of the file
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    if size == 0:
        raise _empty(name)
    if size > MAX_ATTACHMENT_BYTES:
        raise _too_large(name)
    attachment = Attachment(
        complaint=complaint,
        event=event,
        original_name=name,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        by_customer=by_customer,
    )
    # The model's upload_to picks the random path; the name passed here is ignored.
    attachment.file.save(name, upload, save=False)
    try:
        attachment.save()
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment


def attachment_get_for_customer(*, token: str, public_id: uuid.UUID) -> Attachment:
    """An attachment the holder of a tracking link may download. 404 otherwise.

    It must belong to the complaint behind the token and be either the customer's own file or attached to
    an event the customer can see (staff files on internal notes stay internal). A tampered token, another
    complaint's token and an unknown id all give the same 404.
    """
    complaint_public_id = public_id_from_token(token)
    if complaint_public_id is None:
        raise Http404
    attachment = (
        Attachment.objects.filter(public_id=public_id, complaint__public_id=complaint_public_id)
        .filter(Q(by_customer=True) | Q(event__is_public=True))
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


def attachment_get_for_staff(*, user: UserLike, public_id: uuid.UUID, reference: str | None = None) -> Attachment:
    """Any attachment, for support staff; with ``reference``, only one of that complaint or of a complaint merged
    into it. ``PermissionRefused`` for everyone else; 404 when unknown."""
    if not can_view_complaints(user):
        raise PermissionRefused(_("This page is for support staff."))
    attachments = Attachment.objects.filter(public_id=public_id)
    if reference is not None:
        attachments = attachments.filter(
            Q(complaint__reference=reference) | Q(complaint__merged_into__reference=reference)
        )
    attachment = attachments.first()
    if attachment is None:
        raise Http404
    return attachment
