"""One pass over a report's rows for many groupings at once.

A report reads the same complaints grouped several ways (per period bucket, per team, per priority...). Each
``GROUP BY`` query would scan them again; on PostgreSQL ``GROUPING SETS`` aggregates every grouping in one scan.
Elsewhere (SQLite, the embedded mode) each grouping is its own ``GROUP BY``, and medians are interpolated in
Python as PostgreSQL's ``percentile_cont`` does: the same figures come back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import Combinable
from django.utils import timezone

from complaints.reports.stats import QUANTILES, interpolated

Grouping = tuple[str, ...]
Rows = list[dict[str, Any]]
# How many rows had a value, and its quantiles (``None`` each when none had).
Spread = tuple[int, list[float | None]]


def _prefixed(
    queryset: QuerySet[Any], columns: Mapping[str, str | Combinable], sums: Mapping[str, Q | Combinable]
) -> QuerySet[Any]:
    """The rows with each column as ``c_<name>`` and each sum's term as ``f_<name>``: 1 or 0 for a condition,
    else the expression's value."""
    annotations: dict[str, Any] = {
        f"c_{name}": F(value) if isinstance(value, str) else value for name, value in columns.items()
    }
    for name, term in sums.items():
        if isinstance(term, Q):
            term = Case(When(term, then=Value(1)), default=Value(0), output_field=IntegerField())
        annotations[f"f_{name}"] = term
    prefixed: QuerySet[Any] = queryset.annotate(**annotations).order_by()
    return prefixed


def grouped(
    queryset: QuerySet[Any],
    *,
    columns: Mapping[str, str | Combinable],
    groupings: Sequence[Grouping],
    sums: Mapping[str, Q | Combinable] | None = None,
    spreads: Sequence[str] = (),
) -> dict[Grouping, Rows]:
    """For each grouping (a tuple of ``columns`` names; ``()`` for all the rows): one dict per group with its
    columns' values, ``n`` (its rows), each of ``sums`` (the rows where a condition holds, or the sum of an
    expression) and, for each column named in ``spreads``, its ``Spread`` (rows with a value, median and 90th
    percentile). The ``()`` grouping always has its one row. One query on PostgreSQL; elsewhere one per grouping,
    and one per grouping and spread."""
    sums = sums or {}
    for name in [*(name for grouping in groupings for name in grouping), *spreads]:
        if name not in columns:
            raise ValueError(f"unknown column {name!r}")
    rows = _prefixed(queryset, columns, sums)
    if connection.vendor == "postgresql":
        result = _grouping_sets(rows, list(columns), list(sums), list(spreads), groupings)
    else:
        result = {grouping: _group_by(rows, grouping, list(sums), list(spreads)) for grouping in groupings}
    if () in result and not result[()]:
        result[()] = [{"n": 0, **dict.fromkeys(sums, 0), **{name: (0, [None] * len(QUANTILES)) for name in spreads}}]
    return result


def _group_by(rows: QuerySet[Any], grouping: Grouping, sums: list[str], spreads: list[str]) -> Rows:
    totals = {name: Sum(f"f_{name}") for name in sums}
    keys = [f"c_{name}" for name in grouping]
    if grouping:
        found = list(rows.values(*keys).annotate(n=Count("*"), **totals).order_by())
    else:
        found = [rows.aggregate(n=Count("*"), **totals)]
    values: dict[str, dict[tuple[Any, ...], list[float]]] = {name: {} for name in spreads}
    for name in spreads:
        for record in rows.filter(**{f"c_{name}__isnull": False}).values_list(*keys, f"c_{name}"):
            values[name].setdefault(tuple(record[:-1]), []).append(float(record[-1]))
    result = []
    for row in found:
        key = tuple(row[column] for column in keys)
        spread = {
            name: (len(values[name].get(key, [])), [interpolated(values[name].get(key, []), q) for q in QUANTILES])
            for name in spreads
        }
        result.append(
            {
                **{name: row[f"c_{name}"] for name in grouping},
                "n": row["n"],
                **{name: row[name] or 0 for name in sums},
                **spread,
            }
        )
    return result


def _grouping_sets(
    rows: QuerySet[Any], columns: list[str], sums: list[str], spreads: list[str], groupings: Sequence[Grouping]
) -> dict[Grouping, Rows]:
    quote = connection.ops.quote_name
    used = [name for name in columns if name in spreads or any(name in grouping for grouping in groupings)]
    inner = rows.values(*(f"c_{name}" for name in used), *(f"f_{name}" for name in sums))
    try:
        inner_sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # a queryset that can match nothing (``.none()``)
        return {grouping: [] for grouping in groupings}
    grouped_columns = [name for name in used if any(name in grouping for grouping in groupings)]
    column_sql = [quote(f"c_{name}") for name in grouped_columns]
    quantiles = "ARRAY[" + ", ".join(str(q) for q in QUANTILES) + "]::float8[]"
    aggregates = [
        "COUNT(*)",
        *(f"SUM({quote(f'f_{name}')})" for name in sums),
        *(
            part
            for name in spreads
            for part in (
                f"COUNT({quote(f'c_{name}')})",
                f"percentile_cont({quantiles}) WITHIN GROUP (ORDER BY {quote(f'c_{name}')})"
                f" FILTER (WHERE {quote(f'c_{name}')} IS NOT NULL)",
            )
        ),
    ]
    sets = ", ".join("(" + ", ".join(quote(f"c_{name}") for name in grouping) + ")" for grouping in groupings)
    # GROUPING(...) has a bit set for every column a row is not grouped by: it tells the groupings apart.
    grouping_id = f"GROUPING({', '.join(column_sql)})" if column_sql else "0"
    select = ", ".join([grouping_id, *column_sql, *aggregates])
    sql = f"SELECT {select} FROM ({inner_sql}) AS report_rows GROUP BY GROUPING SETS ({sets})"  # noqa: S608
    masks = {_mask(grouped_columns, grouping): grouping for grouping in groupings}
    result: dict[Grouping, Rows] = {grouping: [] for grouping in groupings}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for record in cursor.fetchall():
            grouping = masks[record[0]]
            values = dict(zip(grouped_columns, map(_aware, record[1 : 1 + len(grouped_columns)]), strict=True))
            found = list(record[1 + len(grouped_columns) :])
            row: dict[str, Any] = {name: values[name] for name in grouping}
            row["n"] = found.pop(0)
            for name in sums:
                row[name] = found.pop(0) or 0
            for name in spreads:
                count, spread = found.pop(0), found.pop(0)
                row[name] = (count, list(spread) if spread else [None] * len(QUANTILES))
            result[grouping].append(row)
    return result


def _aware(value: Any) -> Any:
    """A truncated time (a bucket) read by the raw query comes back in local wall time, as the ORM's would
    before it makes it aware: make it aware the same way."""
    if isinstance(value, datetime) and timezone.is_naive(value) and settings.USE_TZ:
        return timezone.make_aware(value)
    return value


def _mask(columns: list[str], grouping: Grouping) -> int:
    """The value of ``GROUPING(columns...)`` for rows of ``grouping``: bit set (leftmost column highest) for
    each column not in it."""
    mask = 0
    for name in columns:
        mask = (mask << 1) | (0 if name in grouping else 1)
    return mask
