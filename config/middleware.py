"""``Server-Timing``: how long the app spent on a response, and how many SQL queries it ran.

Browsers show the header in their developer tools, and ``manage.py bench`` reads it to tell the server's time
apart from the time a request waited in the client or on the wire. Put it first in ``MIDDLEWARE`` so the
other middleware (sessions, authentication, CSRF) is inside the measurement.
"""

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponseBase


class _QueryCounter:
    """An ``execute_wrapper``: counts the queries of the default database and the time spent in them."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Sequence[Any] | Mapping[str, Any] | None,
        many: bool,
        context: Mapping[str, Any],
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


class ServerTimingMiddleware:
    """Adds ``Server-Timing: app;dur=<ms>, db;dur=<ms>;desc="<n> queries"`` to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        counter = _QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        app_ms = (time.perf_counter() - started) * 1000
        timing = f'app;dur={app_ms:.1f}, db;dur={counter.seconds * 1000:.1f};desc="{counter.count} queries"'
        existing = response.headers.get("Server-Timing")
        response.headers["Server-Timing"] = f"{existing}, {timing}" if existing else timing
        return response
