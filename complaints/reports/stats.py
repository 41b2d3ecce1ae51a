"""Small arithmetic the reports share: percentiles as PostgreSQL's ``percentile_cont`` takes them, hours and
shares rounded for people to read."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

QUANTILES = (0.5, 0.9)


def interpolated(values: Sequence[float], q: float) -> float | None:
    """``percentile_cont``: the value at position q·(n-1) of the sorted values, linearly interpolated."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def hours(minutes: float | None) -> float | None:
    """Minutes as hours with one decimal."""
    return None if minutes is None else round(minutes / 60, 1)


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent with one decimal; ``None`` when there is nothing to share."""
    return round(100 * part / whole, 1) if whole else None


def as_rows(queryset: QuerySet[Any, Any]) -> list[dict[str, Any]]:
    """The rows of a ``values()`` query with annotations named at run time, as plain dicts."""
    return [dict(row) for row in queryset]
