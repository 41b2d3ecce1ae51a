"""The incidents REST API (/api/v1/incidents/): everyone on staff reads; team leads and managers declare and
update; managers apologise and compensate. Serializers check shape; ``compensation.incidents.services`` decides."""

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compensation.incidents import selectors, services
from compensation.incidents.forms import incident_fields
from compensation.models import Incident, IncidentRun, IncidentSeverity
from compensation.permissions import can_compensate_incidents, can_manage_incidents, can_view_incidents
from complaints.permissions import staff_user
from config.api import StandardPagination


class IncidentPagination(StandardPagination):
    ordering = ("-started_at", "-id")


class IsIncidentStaff(permissions.BasePermission):
    """Reading for staff who see incidents; writing for team leads and managers."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return can_view_incidents(request.user)
        return can_manage_incidents(request.user)


class CanCompensate(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_compensate_incidents(request.user)


# --- serializers ------------------------------------------------------------------------------------------


class IncidentWriteSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    public_description = serializers.CharField()
    products = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    severity = serializers.ChoiceField(choices=IncidentSeverity.choices, default=IncidentSeverity.MAJOR)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(required=False, allow_null=True)


class CostSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    count = serializers.IntegerField()


class IncidentSerializer(serializers.ModelSerializer[Incident]):
    products = serializers.SerializerMethodField()
    affected_customers = serializers.IntegerField(read_only=True)
    credits_issued = serializers.IntegerField(read_only=True)
    complaints_linked = serializers.IntegerField(read_only=True)

    class Meta:
        model = Incident
        fields = (
            "id",
            "title",
            "public_description",
            "products",
            "severity",
            "status",
            "started_at",
            "ended_at",
            "created_at",
            "affected_customers",
            "credits_issued",
            "complaints_linked",
        )

    def get_products(self, obj: Incident) -> list[int]:
        return [product.pk for product in obj.products.all()]


class ProgressSerializer(serializers.ModelSerializer[IncidentRun]):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = IncidentRun
        fields = (
            "id",
            "status",
            "is_update",
            "window_start",
            "window_end",
            "started_at",
            "finished_at",
            "progress_at",
            "batches_total",
            "batches_done",
            "customers_total",
            "customers_done",
            "letters_queued",
            "credits_issued",
            "percent",
        )


class IncidentProgressSerializer(serializers.Serializer[Any]):
    run = ProgressSerializer(allow_null=True)
    costs = CostSerializer(many=True)


def _incident(pk: int) -> Incident:
    incident = selectors.incident_get(pk=pk)
    if incident is None:
        raise Http404
    return incident


def _progress(incident_id: int) -> dict[str, Any]:
    run = selectors.incident_run_latest(incident_id=incident_id)
    return {
        "run": ProgressSerializer(run).data if run is not None else None,
        "costs": CostSerializer(selectors.incident_costs(incident_id=incident_id), many=True).data,
    }


# --- views ------------------------------------------------------------------------------------------------

_STATUS_REFUSED = OpenApiResponse(description="Refused: the incident's status does not allow this.")


class IncidentListCreateApi(APIView):
    permission_classes = [IsIncidentStaff]
    pagination_class = IncidentPagination

    @extend_schema(responses={200: IncidentSerializer(many=True)}, operation_id="incident_list")
    def get(self, request: Request) -> Response:
        paginator = IncidentPagination()
        page = paginator.paginate_queryset(selectors.incident_list(), request, view=self)
        return paginator.get_paginated_response(IncidentSerializer(page, many=True).data)

    @extend_schema(
        request=IncidentWriteSerializer, responses={201: IncidentSerializer}, operation_id="incident_declare"
    )
    def post(self, request: Request) -> Response:
        serializer = IncidentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incident = services.incident_declare(actor=staff_user(request.user), **incident_fields(data))
        return Response(IncidentSerializer(_incident(incident.pk)).data, status=status.HTTP_201_CREATED)


class IncidentDetailApi(APIView):
    permission_classes = [IsIncidentStaff]

    @extend_schema(responses={200: IncidentSerializer}, operation_id="incident_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(IncidentSerializer(_incident(pk)).data)

    @extend_schema(
        request=IncidentWriteSerializer(partial=True),
        responses={200: IncidentSerializer, 409: _STATUS_REFUSED},
        operation_id="incident_update",
    )
    def patch(self, request: Request, pk: int) -> Response:
        incident = _incident(pk)
        serializer = IncidentWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        changes: dict[str, Any] = {
            name: data[name] for name in ("title", "public_description", "severity", "started_at") if name in data
        }
        if "products" in data:
            changes["product_ids"] = data["products"]
        if "ended_at" in data:
            changes["ended_at"] = data["ended_at"]
        services.incident_update(incident=incident, actor=staff_user(request.user), **changes)
        return Response(IncidentSerializer(_incident(pk)).data)


class IncidentCompensateApi(APIView):
    permission_classes = [CanCompensate]

    @extend_schema(
        request=None,
        responses={202: IncidentProgressSerializer, 409: _STATUS_REFUSED},
        operation_id="incident_compensate",
    )
    def post(self, request: Request, pk: int) -> Response:
        """Apologise and compensate: starts a run, or resumes the one running. Safe to call twice."""
        incident = _incident(pk)
        services.incident_compensate(incident=incident, actor=staff_user(request.user))
        return Response(_progress(incident.pk), status=status.HTTP_202_ACCEPTED)


class IncidentProgressApi(APIView):
    permission_classes = [IsIncidentStaff]

    @extend_schema(responses={200: IncidentProgressSerializer}, operation_id="incident_progress")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_progress(_incident(pk).pk))
