"""The import REST API (/api/v1/imports/<customers|products|purchases>/): managers upsert rows in bulk.

The body is JSON ``{"rows": [...], "dry_run": false}`` or a multipart CSV upload (field ``file``, optional
``dry_run``). The answer lists the created, updated and unchanged counts and the per-row errors.
"""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import services
from customers.imports import MAX_ROWS, ImportFileError, ImportResult, parse_csv, too_many_rows_message
from customers.permissions import can_import_data


class CanImportData(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_import_data(request.user)


class ImportRequestSerializer(serializers.Serializer[Any]):
    rows = serializers.ListField(child=serializers.DictField(), required=False)
    file = serializers.FileField(required=False)
    dry_run = serializers.BooleanField(default=False)


ImportResultSerializer = inline_serializer(
    "ImportResult",
    fields={
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "dry_run": serializers.BooleanField(),
        "errors": serializers.ListField(
            child=inline_serializer(
                "ImportRowError",
                fields={
                    "row": serializers.IntegerField(),
                    "field": serializers.CharField(),
                    "message": serializers.CharField(),
                },
            )
        ),
    },
)


class _ImportApi(APIView):
    permission_classes = [CanImportData]
    parser_classes = [JSONParser, MultiPartParser]
    importer: Callable[..., ImportResult]

    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        data: dict[str, Any] = request.data if isinstance(request.data, dict) else {}
        if upload is not None:
            dry_run = str(data.get("dry_run", "")).lower() in ("1", "true", "yes", "on")
            try:
                rows: list[dict[str, Any]] = list(parse_csv(upload.read()))
            except ImportFileError as exc:
                return Response({"detail": exc.message, "code": "unreadable_file"}, status=400)
        else:
            raw_rows = data.get("rows")
            if not isinstance(raw_rows, list) or not all(isinstance(row, dict) for row in raw_rows):
                message = gettext("Send a JSON body with a list of rows, or a CSV file in the field “file”.")
                return Response({"detail": message, "code": "invalid"}, status=400)
            if len(raw_rows) > MAX_ROWS:
                return Response({"detail": too_many_rows_message(), "code": "too_many_rows"}, status=400)
            rows = raw_rows
            dry_run = data.get("dry_run") is True
        try:
            result = type(self).importer(rows, dry_run=dry_run)
        except ImportFileError as exc:
            return Response({"detail": exc.message, "code": "unreadable_file"}, status=400)
        return Response(result.as_dict())


_SCHEMA = {
    "request": {"application/json": ImportRequestSerializer, "multipart/form-data": ImportRequestSerializer},
    "responses": {
        200: ImportResultSerializer,
        400: OpenApiResponse(description="Unreadable file, a missing column or more than 100,000 rows."),
        403: OpenApiResponse(description="Managers only."),
    },
}


class CustomerImportApi(_ImportApi):
    importer = staticmethod(services.customers_import)

    @extend_schema(summary="Import customers (upsert by external id, else email)", **_SCHEMA)  # type: ignore[arg-type]
    def post(self, request: Request) -> Response:
        return super().post(request)


class ProductImportApi(_ImportApi):
    importer = staticmethod(services.products_import)

    @extend_schema(summary="Import products (upsert by code)", **_SCHEMA)  # type: ignore[arg-type]
    def post(self, request: Request) -> Response:
        return super().post(request)


class PurchaseImportApi(_ImportApi):
    importer = staticmethod(services.purchases_import)

    @extend_schema(summary="Import purchases (upsert by external id, else order number)", **_SCHEMA)  # type: ignore[arg-type]
    def post(self, request: Request) -> Response:
        return super().post(request)
