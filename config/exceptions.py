"""The one domain error type. Services raise it; views translate it once (form error, JSON body)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise


class ApplicationError(Exception):
    """A request the domain refuses. ``message`` is translatable text a user may read."""

    code = "invalid"
    http_status = 400

    def __init__(self, message: str | Promise, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.extra = extra or {}


class TransitionNotAllowed(ApplicationError):
    code = "transition_not_allowed"
    http_status = 409


class PermissionRefused(ApplicationError, PermissionDenied):
    """Also Django's PermissionDenied, so an HTML view that lets it through answers 403, not 500."""

    code = "permission_denied"
    http_status = 403
