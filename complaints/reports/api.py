"""The reports over the API (/api/v1/reports/), for managers: the same ``Report`` the pages show, as JSON."""

from __future__ import annotations

from typing import Any, get_args

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.permissions import can_view_reports
from complaints.reports.base import ChartKind, Grouping, Report, ValueKind
from complaints.reports.export import plain_value
from complaints.reports.forms import ReportPeriodForm
from complaints.reports.registry import REPORTS, report_build

# A value in a figure or a row: a number, a string (text, a decimal amount of money, an ISO date) or null.
PLAIN_VALUE_SCHEMA: dict[str, Any] = {"anyOf": [{"type": "string", "nullable": True}, {"type": "number"}]}


# Every reports endpoint: managers only.
REFUSALS = {
    401: OpenApiResponse(description="Not signed in: send a token or a session cookie."),
    403: OpenApiResponse(description="Signed in, but only managers read reports."),
}


class CanViewReports(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_view_reports(request.user)


# A pattern rather than an enum: the schema's enums are named by field, and "kind" already names the offers'.
@extend_schema_field(
    {
        "type": "string",
        "pattern": f"^({'|'.join(get_args(ValueKind))})$",
        "description": f"One of: {', '.join(get_args(ValueKind))}.",
    }
)
class ValueKindField(serializers.CharField):
    """How a value is shown and exported."""


@extend_schema_field({"type": "string", "enum": list(get_args(ChartKind))})
class ChartKindField(serializers.CharField):
    """How a table is drawn."""


@extend_schema_field(PLAIN_VALUE_SCHEMA)
class PlainValueField(serializers.Field):  # type: ignore[type-arg]
    """Numbers as numbers, money as a decimal string, dates as ISO strings, ``null`` where there is none."""

    def to_representation(self, value: Any) -> Any:
        return plain_value(value)


class PeriodSerializer(serializers.Serializer[Any]):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    group = serializers.ChoiceField(choices=list(get_args(Grouping)))
    days = serializers.IntegerField()


class FigureSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    value = PlainValueField()
    kind = ValueKindField()
    note = serializers.CharField(allow_blank=True)
    currency = serializers.CharField(allow_blank=True, help_text="For money: the currency of the value.")


class ColumnSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    kind = ValueKindField()


class ChartSerializer(serializers.Serializer[Any]):
    kind = ChartKindField()
    label_key = serializers.CharField(help_text="The column whose values label the bars, points or slices.")
    series = serializers.ListField(child=serializers.CharField(), help_text="The columns drawn, one series each.")


class TableSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    columns = ColumnSerializer(many=True)
    rows = serializers.ListField(
        child=serializers.DictField(child=PlainValueField()),
        help_text="One object per row, keyed by the columns' keys.",
    )
    chart = ChartSerializer(allow_null=True)


class ReportSerializer(serializers.Serializer[Report]):
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    period = PeriodSerializer()
    figures = FigureSerializer(many=True)
    tables = TableSerializer(many=True)


class ReportSummarySerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    title = serializers.CharField()


class PeriodErrorSerializer(serializers.Serializer[Any]):
    """A refused period: the messages per field, and those about the period as a whole."""

    date_from = serializers.ListField(child=serializers.CharField(), required=False)
    date_to = serializers.ListField(child=serializers.CharField(), required=False)
    group = serializers.ListField(child=serializers.CharField(), required=False)
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


class ReportListApi(APIView):
    """The reports there are, in the order the reports page lists them."""

    permission_classes = [CanViewReports]
    pagination_class = None

    @extend_schema(responses={200: ReportSummarySerializer(many=True), **REFUSALS})
    def get(self, request: Request) -> Response:
        summaries = [{"slug": spec.slug, "title": str(spec.title)} for spec in REPORTS.values()]
        return Response(ReportSummarySerializer(summaries, many=True).data)


class ReportDetailApi(APIView):
    """One report for a period (both days included; the last 30 days by default). Labels are in the request's
    language; values are plain (see the schema of a row)."""

    permission_classes = [CanViewReports]

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", str, description="First day, YYYY-MM-DD."),
            OpenApiParameter("date_to", str, description="Last day, YYYY-MM-DD (today by default)."),
            OpenApiParameter(
                "group",
                str,
                enum=["", *get_args(Grouping)],
                description="Buckets of the tables over time (empty or left out: by the period's length).",
            ),
        ],
        responses={
            200: ReportSerializer,
            400: OpenApiResponse(PeriodErrorSerializer, description="The period was refused."),
            **REFUSALS,
            404: OpenApiResponse(description="No report has this slug."),
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        if slug not in REPORTS:
            raise Http404
        form = ReportPeriodForm.from_query(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(
                {
                    ("non_field_errors" if field == "__all__" else field): [error["message"] for error in errors]
                    for field, errors in form.errors.get_json_data().items()
                }
            )
        report = report_build(slug=slug, period=form.period(), now=timezone.now())
        return Response(ReportSerializer(report).data)
