"""The OpenAPI schema's view of errors: every operation documents each error status it can answer with, and the
body that comes with it, so clients (and the schema tests) can rely on the schema alone."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions

from config.api import ApplicationErrorSerializer, ErrorDetailSerializer

_WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_DESCRIPTIONS = {
    "400": "Invalid request: validation errors keyed by field, or a refusal {message, code, extra}.",
    "401": "Not signed in: send “Authorization: Token <key>” or a session cookie.",
    "403": "Signed in, but your role may not do this.",
    "404": "Not found.",
    "409": "Refused: the current state does not allow this.",
    "415": "The body is not in a media type this operation reads.",
    "429": "Too many requests; try again later.",
}


class AmendsAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        """Operations grouped by what they are about: /api/v1/<tag>/…"""
        parts = [part for part in self._tokenize_path() if part not in ("api", "v1")]
        return parts[:1] or super().get_tags()

    def _error_codes(self) -> list[str]:
        view = self.view
        codes: list[str] = []
        has_query = any(parameter.get("in") == "query" for parameter in self._get_parameters())
        if self.method in _WRITE_METHODS or has_query:
            codes.append("400")
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            codes.append("415")
        public = all(isinstance(p, permissions.AllowAny) for p in view.get_permissions())
        if not public:
            codes += ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        if view.get_throttles():
            codes.append("429")
        return codes

    def _error_content(self, code: str) -> dict[str, Any]:
        if code in ("400", "409"):
            refusal = self.resolve_serializer(ApplicationErrorSerializer, "response").ref
            schema: dict[str, Any] = refusal
            if code == "400":
                by_field = {"type": "object", "additionalProperties": {}, "description": "Messages keyed by field."}
                schema = {"anyOf": [refusal, by_field]}
        else:
            schema = self.resolve_serializer(ErrorDetailSerializer, "response").ref
        return {"application/json": {"schema": schema}}

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        bodies: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return bodies
        for code in self._error_codes():
            bodies.setdefault(code, {"description": _DESCRIPTIONS[code]})
        for code, body in bodies.items():
            if code >= "400" and "content" not in body:
                body["content"] = self._error_content(code)
        return dict(sorted(bodies.items()))
