"""Medians and 90th percentiles computed by the database: ``percentile_cont`` on PostgreSQL, the same
interpolation in Python on SQLite (the embedded mode has no ordered-set aggregates, and holds little data)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet
from django.db.models.expressions import Combinable

QUANTILES = (0.5, 0.9)


class PercentilesCont(Aggregate):
    """``percentile_cont(ARRAY[...]) WITHIN GROUP (ORDER BY expr)``: every quantile from one sort."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY%(quantiles)s::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()  # an array in truth: read as a list by the caller

    def __init__(self, expression: str | Combinable, quantiles: Sequence[float] = QUANTILES, **extra: Any) -> None:
        super().__init__(expression, quantiles=list(quantiles), **extra)

    def convert_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return value


def interpolated(values: Sequence[float], q: float) -> float | None:
    """``percentile_cont``: the value at position q·(n-1) of the sorted values, linearly interpolated."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class Spread:
    """How many rows had a value, and the quantiles of those values (``None`` each when there were none)."""

    count: int
    quantiles: list[float | None]


def quantiles_of(
    queryset: QuerySet[Any], fields: Sequence[str], quantiles: Sequence[float] = QUANTILES
) -> dict[str, Spread]:
    """For each of ``fields``: the rows of ``queryset`` where it is set, and its quantiles over them. One query."""
    if _is_postgresql():
        found = queryset.aggregate(
            **{
                f"q_{name}": PercentilesCont(F(name), quantiles, filter=Q(**{f"{name}__isnull": False}))
                for name in fields
            },
            **{f"n_{name}": Count(name) for name in fields},
        )
        return {
            name: Spread(
                found[f"n_{name}"], list(found[f"q_{name}"]) if found[f"q_{name}"] else [None] * len(quantiles)
            )
            for name in fields
        }
    columns: dict[str, list[float]] = {name: [] for name in fields}
    for row in queryset.values_list(*fields):
        for name, value in zip(fields, row, strict=True):
            if value is not None:
                columns[name].append(float(value))
    return {name: Spread(len(values), [interpolated(values, q) for q in quantiles]) for name, values in columns.items()}


def quantiles_by(
    queryset: QuerySet[Any], group: str, fields: Sequence[str], quantiles: Sequence[float] = QUANTILES
) -> dict[Hashable, dict[str, list[float | None]]]:
    """Per value of ``group``: the quantiles of each of ``fields`` (rows where a field is unset are left out of
    that field's quantiles only). One query."""
    if _is_postgresql():
        annotations = {
            f"q_{name}": PercentilesCont(F(name), quantiles, filter=Q(**{f"{name}__isnull": False})) for name in fields
        }
        result: dict[Hashable, dict[str, list[float | None]]] = {}
        for row in queryset.values(group).annotate(**annotations).order_by():
            result[row[group]] = {
                name: list(row[f"q_{name}"]) if row[f"q_{name}"] else [None] * len(quantiles) for name in fields
            }
        return result
    collected: dict[Hashable, dict[str, list[float]]] = {}
    for row in queryset.values_list(group, *fields):
        per_field = collected.setdefault(row[0], {name: [] for name in fields})
        for name, value in zip(fields, row[1:], strict=True):
            if value is not None:
                per_field[name].append(float(value))
    return {
        key: {name: [interpolated(values, q) for q in quantiles] for name, values in per_field.items()}
        for key, per_field in collected.items()
    }


def hours(minutes: float | None) -> float | None:
    """Minutes as hours with one decimal."""
    return None if minutes is None else round(minutes / 60, 1)


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent with one decimal; ``None`` when there is nothing to share."""
    return round(100 * part / whole, 1) if whole else None


def as_rows(queryset: QuerySet[Any, Any]) -> list[dict[str, Any]]:
    """The rows of a ``values()`` query with annotations named at run time, as plain dicts."""
    return [dict(row) for row in queryset]
