"""A complaint's messages, internal notes, assignment, and priority or category (/api/v1/complaints/<ref>/...)."""

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors, services
from complaints.api.core import (
    ComplaintListSerializer,
    EventSerializer,
    IsComplaintStaff,
    MessageSerializer,
)
from complaints.api.files import AttachmentSerializer
from complaints.models import ComplaintEvent
from complaints.permissions import staff_user


class TimelineMessageSerializer(EventSerializer):
    complaint = serializers.CharField(
        source="complaint.reference",
        read_only=True,
        help_text=gettext_lazy("The complaint it was written on: this one, or a duplicate merged into it."),
    )
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(EventSerializer.Meta):
        fields = (*EventSerializer.Meta.fields, "complaint", "attachments")  # type: ignore[assignment]


class NoteSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=10_000)


class AssignSerializer(serializers.Serializer[Any]):
    assignee = serializers.CharField(
        max_length=150,
        allow_null=True,
        help_text=gettext_lazy("The username of the staff member to assign, or null to unassign."),
    )


def _message_add(request: Request, reference: str, serializer_class: type[serializers.Serializer[Any]]) -> Response:
    """A public reply (a letter to the customer) or an internal note, as the body's ``visibility`` says."""
    complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    body, author = serializer.validated_data["body"], staff_user(request.user)
    event: ComplaintEvent
    if serializer.validated_data.get("visibility") == "public":
        event = services.complaint_reply(complaint=complaint, author=author, body=body)
    else:
        event = services.complaint_note_add(complaint=complaint, author=author, body=body)
    return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)


class ComplaintMessagesApi(APIView):
    """GET: the complaint's messages, oldest first (the customer's, our replies and internal notes, with files,
    including those of duplicates merged into it). POST: a reply to the customer (public) or an internal note."""

    permission_classes = [IsComplaintStaff]

    @extend_schema(responses={200: TimelineMessageSerializer(many=True)}, operation_id="complaint_message_list")
    def get(self, request: Request, reference: str) -> Response:
        messages = selectors.complaint_messages_for_staff(user=request.user, reference=reference)
        return Response(TimelineMessageSerializer(messages, many=True).data)

    @extend_schema(request=MessageSerializer, responses={201: EventSerializer}, operation_id="complaint_message_create")
    def post(self, request: Request, reference: str) -> Response:
        return _message_add(request, reference, MessageSerializer)


class ComplaintNoteApi(APIView):
    """An internal note: staff only, never shown or sent to the customer."""

    permission_classes = [IsComplaintStaff]

    @extend_schema(request=NoteSerializer, responses={201: EventSerializer}, operation_id="complaint_note_create")
    def post(self, request: Request, reference: str) -> Response:
        return _message_add(request, reference, NoteSerializer)


class ComplaintAssignApi(APIView):
    """Give the complaint to a staff member who handles complaints, or to nobody; recorded on the timeline."""

    permission_classes = [IsComplaintStaff]

    @extend_schema(request=AssignSerializer, responses={200: ComplaintListSerializer}, operation_id="complaint_assign")
    def post(self, request: Request, reference: str) -> Response:
        complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["assignee"]
        assignee = None if username is None else selectors.staff_member_get(user=request.user, username=username)
        services.complaint_assign(complaint=complaint, assignee=assignee, actor=staff_user(request.user))
        return Response(ComplaintListSerializer(selectors.complaint_list(user=request.user).get(pk=complaint)).data)
