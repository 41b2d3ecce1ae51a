"""Files on a complaint (/api/v1/complaints/<ref>/attachments/): staff list, upload and download them.

Uploads follow the customers' rules (pictures and PDF, checked from their content, at most 5 files of 10 MB) and
are kept as an internal note; downloads are sent with the type sniffed on upload, as on the staff pages."""

import uuid
from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors, services
from complaints.api.core import IsComplaintStaff
from complaints.attachments import ALLOWED_TYPES, attachment_get_for_staff
from complaints.models import Attachment
from complaints.permissions import staff_user
from complaints.views.attachments import attachment_file_response


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(source="original_name", read_only=True)
    event = serializers.IntegerField(
        source="event_id",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("The timeline event the file came with (null: none)."),
    )

    class Meta:
        model = Attachment
        fields = ("id", "name", "content_type", "size", "by_customer", "event", "received_at")
        read_only_fields = fields


class ComplaintAttachmentSerializer(AttachmentSerializer):
    complaint = serializers.CharField(
        source="complaint.reference",
        read_only=True,
        help_text=gettext_lazy("The complaint it belongs to: this one, or a duplicate merged into it."),
    )

    class Meta(AttachmentSerializer.Meta):
        fields = (*AttachmentSerializer.Meta.fields, "complaint")  # type: ignore[assignment]
        read_only_fields = fields  # type: ignore[assignment]


class AttachmentUploadSerializer(serializers.Serializer[Any]):
    attachments = serializers.ListField(
        child=serializers.FileField(),
        help_text=gettext_lazy("Up to 5 pictures (PNG, JPEG, GIF, WEBP) or PDF files, 10 MB each."),
    )
    body = serializers.CharField(
        max_length=10_000,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("An optional internal note to go with the files."),
    )


class ComplaintAttachmentsApi(APIView):
    """GET: every file on the complaint (and on duplicates merged into it). POST: staff attach files, kept on the
    timeline as an internal note (never shown or sent to the customer)."""

    permission_classes = [IsComplaintStaff]
    parser_classes = [MultiPartParser]

    @extend_schema(responses={200: ComplaintAttachmentSerializer(many=True)}, operation_id="complaint_attachment_list")
    def get(self, request: Request, reference: str) -> Response:
        attachments = selectors.complaint_attachments_for_staff(user=request.user, reference=reference)
        return Response(ComplaintAttachmentSerializer(attachments, many=True).data)

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer(many=True)},
        operation_id="complaint_attachment_upload",
    )
    def post(self, request: Request, reference: str) -> Response:
        complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
        body = request.data.get("body", "") if isinstance(request.data, dict) else ""
        serializer = AttachmentUploadSerializer(
            data={"attachments": request.FILES.getlist("attachments"), "body": body}
        )
        serializer.is_valid(raise_exception=True)
        note = services.complaint_files_add(
            complaint=complaint,
            author=staff_user(request.user),
            files=serializer.validated_data["attachments"],
            body=serializer.validated_data["body"],
        )
        return Response(AttachmentSerializer(note.attachments.all(), many=True).data, status=status.HTTP_201_CREATED)


class ComplaintAttachmentDownloadApi(APIView):
    """The file itself, as a download with the type sniffed when it was stored."""

    permission_classes = [IsComplaintStaff]

    @extend_schema(
        responses={(200, content_type): OpenApiTypes.BINARY for content_type in sorted(ALLOWED_TYPES)},
        operation_id="complaint_attachment_download",
    )
    def get(self, request: Request, reference: str, public_id: uuid.UUID) -> FileResponse:
        attachment = attachment_get_for_staff(user=request.user, public_id=public_id, reference=reference)
        return attachment_file_response(attachment)
