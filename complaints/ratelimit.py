"""A small fixed-window rate limiter on the shared cache (Redis in production, a file cache on one machine)."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


def rate_limit_exceeded(*, scope: str, key: str, limit: Limit) -> bool:
    """Count one hit for ``key`` in ``scope``; True once more than ``limit.count`` hits fall in the window."""
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{digest}"
    cache.add(cache_key, 0, timeout=limit.seconds)
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: this hit starts a new window
        cache.set(cache_key, 1, timeout=limit.seconds)
        hits = 1
    return hits > limit.count


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind a proxy that sets it, the first X-Forwarded-For hop (see TRUSTED_PROXY)."""
    if settings.TRUSTED_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded).split(",")[0].strip()
    return str(request.META.get("REMOTE_ADDR", ""))
