"""Report values on the page: numbers in the active language's format, and the data a chart is drawn from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings
from django.utils import formats

from compensation.money import minor_unit_digits
from complaints.reports.base import Column, Figure, Table

register = template.Library()

EMPTY = "—"


def _number(value: Any, decimals: int | None = None) -> str:
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def format_value(value: Any, kind: str, currency: str = "") -> str:
    """One value as a person reads it: ``1,234`` / ``1 234`` for counts, one decimal for hours and ratings,
    ``12.5%`` for a share, ``1,234.50 RUB`` for money, a short date for a day, ``—`` for no value."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | date):
        return str(value)
    if kind == "date" and isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if kind == "money":
        code = currency or settings.DEFAULT_CURRENCY
        return f"{_number(value, minor_unit_digits(code))}\u00a0{code}"
    if kind == "percent":
        return f"{_number(value, 1)}%"
    if kind in ("hours", "rating"):
        return _number(value, 1)
    if kind == "decimal" and isinstance(value, float):
        return _number(round(value, 2))
    return _number(value)


@register.filter
def report_figure(figure: Figure) -> str:
    """A headline figure: ``{{ figure|report_figure }}`` (money in the figure's own currency)."""
    return format_value(figure.value, figure.kind, figure.currency)


@register.filter
def report_cell(row: dict[str, Any], column: Column) -> str:
    """A table cell: ``{{ row|report_cell:column }}`` (money takes the row's ``currency`` when it has one)."""
    return format_value(row.get(column.key), column.kind, str(row.get("currency") or ""))


@register.filter
def report_chart(table: Table) -> dict[str, Any] | None:
    """What ``static/js/reports.js`` draws: the labels formatted for the page, one series per charted column
    with its values as plain numbers (``null`` where there is none)."""
    chart = table.chart
    if chart is None:
        return None
    columns = {column.key: column for column in table.columns}
    label_column = columns[chart.label_key]
    return {
        "kind": chart.kind,
        "title": str(table.title),
        "labels": [report_cell(row, label_column) for row in table.rows],
        "series": [
            {
                "key": key,
                "label": str(columns[key].label),
                "percent": columns[key].kind == "percent",
                "data": [None if row.get(key) is None else float(row[key]) for row in table.rows],
            }
            for key in chart.series
        ],
    }


@register.filter
def report_is_numeric(column: Column) -> bool:
    """Numbers are right-aligned in the tables."""
    return column.kind not in ("text", "date")
