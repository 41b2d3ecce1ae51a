"""API-wide pieces: pagination, ordering, the one place domain errors become JSON, and the error bodies the
OpenAPI schema documents for every operation."""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from config.exceptions import ApplicationError, PermissionRefused


class DecimalStringField(serializers.DecimalField):
    """Money and other exact amounts as the schema describes them: a decimal string such as ``"12.50"``. A JSON
    number is refused (a float may not be exact; the schema says string), with a message saying so."""

    default_error_messages = {
        **serializers.DecimalField.default_error_messages,
        "not_a_string": gettext_lazy('Give the amount as a string of digits, for example "12.50".'),
    }

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StandardPagination(CursorPagination):
    """Cursor pagination: constant cost at any depth, stable under inserts. A cursor that is not one of ours is a
    400 naming the ``cursor`` parameter (never a 500)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering: Any = ("-received_at", "-id")

    def get_page_size(self, request: Request) -> int:
        """``page_size`` from 1 to ``max_page_size``; anything else given is a 400 (not quietly the default)."""
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        value = values[-1].strip()
        if len(values) > 1 or not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= self.max_page_size:
            message = _("Enter a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise exceptions.ValidationError({self.page_size_query_param: [message]})
        return int(value)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters

    def decode_cursor(self, request: Request) -> Any:
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise self._invalid() from None
        if cursor is not None and "\x00" in str(cursor.position or ""):
            raise self._invalid()
        return cursor

    def paginate_queryset(self, queryset: Any, request: Request, view: APIView | None = None) -> list[Any] | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            # A well-formed cursor whose position does not fit the ordering's field (a forged or stale cursor).
            raise self._invalid() from None

    @staticmethod
    def _invalid() -> exceptions.ValidationError:
        return exceptions.ValidationError({"cursor": [_("This page link is not valid; start from the first page.")]})


class OrderingBackend(BaseFilterBackend):
    """``?ordering=<field>`` or ``-<field>`` among the view's ``ordering_fields``; anything else is a 400.

    Cursor pagination needs one fixed ordering per request: the paginator asks ``get_ordering`` and orders the
    queryset itself, with ``id`` in the same direction as a tie-breaker.
    """

    param = "ordering"

    def _choices(self, view: APIView) -> list[str]:
        fields: Sequence[str] = getattr(view, "ordering_fields", ())
        return [choice for name in fields for choice in (name, f"-{name}")]

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> tuple[str, ...]:
        values = request.query_params.getlist(self.param)
        if not values:
            return tuple(getattr(view, "ordering", ("-id",)))
        value, choices = values[-1].strip(), self._choices(view)
        if len(values) > 1 or value not in choices:
            message = _("Unknown ordering. Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}
            raise exceptions.ValidationError({self.param: [message]})
        if value.lstrip("-") == "id":
            return (value,)
        return (value, "-id" if value.startswith("-") else "id")

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: APIView) -> QuerySet[Any]:
        return queryset  # the cursor paginator applies get_ordering

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        default = ",".join(getattr(view, "ordering", ()))
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": str(gettext_lazy("Sort order; a leading “-” sorts descending.")) + f" ({default})",
                "schema": {"type": "string", "enum": self._choices(view)},
            }
        ]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """``ApplicationError`` → ``{"message", "code", "extra"}`` with its status (400, 403 or 409)."""
    if isinstance(exc, PermissionRefused):
        exc = exceptions.PermissionDenied(str(exc.message))
    elif isinstance(exc, ApplicationError):
        return Response({"message": str(exc.message), "code": exc.code, "extra": exc.extra}, status=exc.http_status)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """A URL under /api/ that matches no endpoint answers JSON like the endpoints' own 404."""
    return JsonResponse({"detail": str(exceptions.NotFound.default_detail)}, status=404)


class ReferenceConverter:
    """A complaint's reference number in a URL (``RC-2026-000042``): letters, digits and hyphens only, so a path
    with anything else is simply not found."""

    regex = "[A-Za-z0-9-]{1,32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


# --- error bodies, as the schema documents them ---------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer[Any]):
    """401, 403, 404, 405, 429: what went wrong, in the caller's language."""

    detail = serializers.CharField()


class ApplicationErrorSerializer(serializers.Serializer[Any]):
    """A request the domain refused (400, 409): a message to show, a stable code, and details such as the field."""

    message = serializers.CharField()
    code = serializers.CharField()
    extra = serializers.DictField()
