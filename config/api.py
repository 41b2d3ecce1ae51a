"""API-wide pieces: pagination and the one place domain errors become JSON."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.exceptions import ApplicationError, PermissionRefused


class StandardPagination(CursorPagination):
    """Cursor pagination: constant cost at any depth, stable under inserts."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-received_at", "-id")


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
