"""The letter outbox, read-only for staff: /api/v1/letters/ and /api/v1/complaints/<ref>/letters/."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import selectors
from complaints.api.core import IsComplaintStaff, LetterSerializer
from complaints.filters import LetterFilter
from config.api_views import ListApi
from notifications.models import Letter


class LetterListSerializer(LetterSerializer):
    complaint = serializers.CharField(
        source="complaint.reference", read_only=True, help_text=gettext_lazy("The complaint's reference number.")
    )

    class Meta(LetterSerializer.Meta):
        fields = (*LetterSerializer.Meta.fields, "complaint")  # type: ignore[assignment]


class _LetterListApi(ListApi):
    permission_classes = [IsComplaintStaff]
    queryset = Letter.objects.none()
    ordering = ("-created_at", "-id")
    ordering_fields = ("created_at", "id")


class LetterListApi(_LetterListApi):
    """Letters about complaints, to customers and to staff, newest first (without their text)."""

    filterset_class = LetterFilter

    def selected(self) -> QuerySet[Letter]:
        return selectors.letter_list_for_staff(user=self.request.user)

    @extend_schema(responses={200: LetterListSerializer(many=True)}, operation_id="letter_list")
    def get(self, request: Request) -> Response:
        return self.list_response(LetterListSerializer)


class ComplaintLetterListApi(_LetterListApi):
    """The letters of one complaint and of the duplicates merged into it, newest first."""

    def selected(self) -> QuerySet[Letter]:
        return selectors.letter_list_for_staff(user=self.request.user, reference=self.kwargs["reference"])

    @extend_schema(responses={200: LetterListSerializer(many=True)}, operation_id="complaint_letter_list")
    def get(self, request: Request, reference: str) -> Response:
        return self.list_response(LetterListSerializer)
