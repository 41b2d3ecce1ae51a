"""The complaints REST API (/api/v1/complaints/). Serializers check shape; services decide."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from complaints import selectors, services
from complaints.filters import ComplaintFilter
from complaints.models import Category, Complaint, ComplaintEvent, DesiredResolution, Outcome, Priority, RootCause
from complaints.permissions import can_handle_complaints, can_view_complaints, staff_user
from complaints.tokens import tracking_url
from complaints.transitions import Action
from config.api_views import ListApi
from notifications.models import Letter


class IsComplaintStaff(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return can_view_complaints(request.user)
        return can_handle_complaints(request.user)


class SubmitThrottle(AnonRateThrottle):
    scope = "complaint_submit"


# --- serializers ------------------------------------------------------------------------------------------


class ComplaintSubmitSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    phone = serializers.RegexField(r"^\+?[0-9 ()\-.]{5,40}$", max_length=40, required=False, allow_blank=True)
    order_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=Category.choices)
    description = serializers.CharField(min_length=10, max_length=10_000)
    desired_resolution = serializers.ChoiceField(choices=DesiredResolution.choices, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=[("en", "English"), ("ru", "Russian")], required=False)


class ComplaintSubmittedSerializer(serializers.ModelSerializer[Complaint]):
    tracking_url = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = ("reference", "status", "tracking_url", "first_response_due")

    def get_tracking_url(self, obj: Complaint) -> str:
        return tracking_url(obj)


class ComplaintListSerializer(serializers.ModelSerializer[Complaint]):
    customer_name = serializers.CharField(source="customer.name")
    customer_email = serializers.EmailField(source="customer.email")
    assignee = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = (
            "reference",
            "status",
            "priority",
            "category",
            "channel",
            "customer_name",
            "customer_email",
            "assignee",
            "received_at",
            "updated_at",
            "first_response_due",
            "resolution_due",
        )

    def get_assignee(self, obj: Complaint) -> str | None:
        return obj.assignee.get_username() if obj.assignee else None


class EventSerializer(serializers.ModelSerializer[ComplaintEvent]):
    author = serializers.SerializerMethodField()

    class Meta:
        model = ComplaintEvent
        fields = (
            "id",
            "kind",
            "is_public",
            "author",
            "by_customer",
            "body",
            "from_status",
            "to_status",
            "data",
            "created_at",
        )

    def get_author(self, obj: ComplaintEvent) -> str | None:
        return obj.author.get_username() if obj.author else None


class LetterSerializer(serializers.ModelSerializer[Letter]):
    class Meta:
        model = Letter
        fields = (
            "id",
            "kind",
            "recipient",
            "language",
            "subject",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
        )


class IncidentRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ComplaintDetailSerializer(ComplaintListSerializer):
    customer_phone = serializers.CharField(source="customer.phone")
    order_number = serializers.SerializerMethodField()
    events = EventSerializer(many=True)
    letters = LetterSerializer(many=True)
    merged_into = serializers.SlugRelatedField[Complaint](slug_field="reference", read_only=True, allow_null=True)
    related = serializers.SlugRelatedField[Complaint](slug_field="reference", many=True, read_only=True)
    incident = serializers.SerializerMethodField()

    class Meta(ComplaintListSerializer.Meta):
        fields = (  # type: ignore[assignment]
            *ComplaintListSerializer.Meta.fields,
            "customer_phone",
            "order_number",
            "description",
            "desired_resolution",
            "language",
            "acknowledged_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "events",
            "letters",
            "merged_into",
            "related",
            "incident",
        )

    def get_order_number(self, obj: Complaint) -> str | None:
        return obj.purchase.order_number if obj.purchase else None

    @extend_schema_field(IncidentRefSerializer(allow_null=True))
    def get_incident(self, obj: Complaint) -> dict[str, Any] | None:
        """The linked incident as {"id", "title"}, or null (joined by ``complaint_get_for_staff``)."""
        incident = obj.incident
        return {"id": incident.pk, "title": incident.title} if incident is not None else None


class MessageSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=10_000)
    visibility = serializers.ChoiceField(choices=[("public", "public"), ("internal", "internal")])


class TransitionSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=[(a.value, a.label) for a in Action if a != Action.CUSTOMER_REPLIED])
    comment = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
    # Closing the loop (checked by the service for the action that needs them; other actions ignore them).
    outcome = serializers.ChoiceField(
        choices=Outcome.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy(
            "Required to resolve: explained, non_monetary or monetary. Declining always records rejected."
        ),
    )
    root_cause = serializers.ChoiceField(
        choices=RootCause.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Required to resolve or decline (reject): what went wrong."),
    )
    corrective_action = serializers.CharField(
        max_length=10_000,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy(
            "Required to resolve, optional to decline: what was changed so that it does not happen again."
        ),
    )
    customer_accepted = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy(
            "Required to close: whether the customer accepted the outcome. If false, the customer gets a letter "
            "on how to appeal."
        ),
    )


class MergeSerializer(serializers.Serializer[Any]):
    into = serializers.CharField(max_length=20, help_text="Reference number of the complaint to merge into.")
    note = serializers.CharField(max_length=2_000, required=False, allow_blank=True, default="")


class LinkSerializer(serializers.Serializer[Any]):
    other = serializers.CharField(max_length=20, help_text="Reference number of the related complaint.")


class FieldsSerializer(serializers.Serializer[Any]):
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    reason = serializers.CharField(
        max_length=2_000, help_text=gettext_lazy("Why (on the timeline, for staff only). Required.")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "priority" not in attrs and "category" not in attrs:
            raise serializers.ValidationError(_("Give the new priority or category."))
        return attrs


class ComplaintLinksSerializer(serializers.ModelSerializer[Complaint]):
    merged_into = serializers.SlugRelatedField[Complaint](slug_field="reference", read_only=True, allow_null=True)
    related = serializers.SlugRelatedField[Complaint](slug_field="reference", many=True, read_only=True)

    class Meta:
        model = Complaint
        fields = ("reference", "status", "merged_into", "related")


# --- views ------------------------------------------------------------------------------------------------


class ComplaintListCreateApi(ListApi):
    """POST is public (the complaint form as JSON); GET lists complaints for staff, filtered and ordered."""

    queryset = Complaint.objects.none()
    filterset_class = ComplaintFilter
    ordering = ("-received_at", "-id")
    ordering_fields = ("received_at", "updated_at", "id")

    def get_permissions(self) -> list[permissions.BasePermission]:
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [IsComplaintStaff()]

    def get_throttles(self) -> list[Any]:
        return [SubmitThrottle()] if self.request.method == "POST" else []

    def selected(self) -> QuerySet[Complaint]:
        return selectors.complaint_list(user=self.request.user)

    @extend_schema(
        request=ComplaintSubmitSerializer,
        responses={201: ComplaintSubmittedSerializer},
        auth=[],
        operation_id="complaint_submit",
    )
    def post(self, request: Request) -> Response:
        serializer = ComplaintSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        language = data.pop("language", None) or (get_language() or "en").split("-")[0]
        complaint = services.complaint_submit(**data, channel="api", language=language)
        return Response(ComplaintSubmittedSerializer(complaint).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ComplaintListSerializer(many=True)}, operation_id="complaint_list")
    def get(self, request: Request) -> Response:
        return self.list_response(ComplaintListSerializer)


class ComplaintDetailApi(APIView):
    permission_classes = [IsComplaintStaff]

    @extend_schema(responses={200: ComplaintDetailSerializer}, operation_id="complaint_retrieve")
    def get(self, request: Request, reference: str) -> Response:
        complaint = selectors.complaint_get_for_staff(user=request.user, reference=reference)
        return Response(ComplaintDetailSerializer(complaint).data)

    @extend_schema(
        request=FieldsSerializer, responses={200: ComplaintDetailSerializer}, operation_id="complaint_update"
    )
    def patch(self, request: Request, reference: str) -> Response:
        """A new priority and/or category, with the reason on the timeline (staff only); the due times follow the
        promise the new values choose."""
        complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
        serializer = FieldsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        for field in ("priority", "category"):
            if field in data:
                services.complaint_change_field(
                    complaint=complaint,
                    actor=staff_user(request.user),
                    field=field,
                    value=data[field],
                    reason=data["reason"],
                )
        complaint_now = selectors.complaint_get_for_staff(user=request.user, reference=reference)
        return Response(ComplaintDetailSerializer(complaint_now).data)


class ComplaintTransitionApi(APIView):
    permission_classes = [IsComplaintStaff]

    @extend_schema(
        request=TransitionSerializer,
        responses={
            200: ComplaintListSerializer,
            409: OpenApiResponse(description="Refused: the complaint's status does not allow this action."),
        },
        description=gettext_lazy(
            "Apply one action of the complaint state machine. Resolving needs outcome, root_cause and "
            "corrective_action; declining (reject) needs root_cause and a comment (the reasons the customer "
            "reads); closing needs customer_accepted. A missing or refused field is a 400 whose extra.field "
            "names it; an action the status does not allow is a 409."
        ),
    )
    def post(self, request: Request, reference: str) -> Response:
        complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        updated = services.complaint_transition(
            complaint=complaint,
            action=data["action"],
            actor=staff_user(request.user),
            comment=data["comment"],
            outcome=data["outcome"],
            root_cause=data["root_cause"],
            corrective_action=data["corrective_action"],
            customer_accepted=data["customer_accepted"],
        )
        return Response(ComplaintListSerializer(updated).data)


_REFUSED = {
    400: OpenApiResponse(description="Refused: unknown reference, another customer's complaint, the complaint itself."),
    409: OpenApiResponse(description="Refused: the complaint is closed or already merged, or the target is merged."),
}


class ComplaintMergeApi(APIView):
    """Merge this complaint (a duplicate) into another complaint of the same customer."""

    permission_classes = [IsComplaintStaff]

    @extend_schema(
        request=MergeSerializer, responses={200: ComplaintLinksSerializer, **_REFUSED}, operation_id="complaint_merge"
    )
    def post(self, request: Request, reference: str) -> Response:
        complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
        serializer = MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.complaint_merge(
            duplicate=complaint,
            into=serializer.validated_data["into"],
            actor=staff_user(request.user),
            note=serializer.validated_data["note"],
        )
        return Response(
            ComplaintLinksSerializer(selectors.complaint_get_with_links(user=request.user, reference=reference)).data
        )


class ComplaintLinksApi(APIView):
    """Link a related complaint (any customer's) to this one, or remove the link. Both are idempotent."""

    permission_classes = [IsComplaintStaff]

    @extend_schema(
        request=LinkSerializer, responses={200: ComplaintLinksSerializer, **_REFUSED}, operation_id="complaint_link"
    )
    def post(self, request: Request, reference: str) -> Response:
        return self._change(request, reference, data=request.data, link=True)

    @extend_schema(
        parameters=[OpenApiParameter("other", str, description="Reference number of the related complaint.")],
        responses={200: ComplaintLinksSerializer, **_REFUSED},
        operation_id="complaint_unlink",
    )
    def delete(self, request: Request, reference: str) -> Response:
        # A DELETE body is not for every client: ``other`` may come as a query parameter instead.
        data = request.data if "other" in request.data else request.query_params
        return self._change(request, reference, data=data, link=False)

    def _change(self, request: Request, reference: str, *, data: Any, link: bool) -> Response:
        complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
        serializer = LinkSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        change = services.complaint_link if link else services.complaint_unlink
        change(complaint=complaint, other=serializer.validated_data["other"], actor=staff_user(request.user))
        return Response(
            ComplaintLinksSerializer(selectors.complaint_get_with_links(user=request.user, reference=reference)).data
        )
