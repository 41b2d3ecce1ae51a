"""What a report is: headline figures and tables of plain values, for one period.

A report is computed once (``complaints.reports.selectors``) and then shown as a page with charts, exported as
CSV or XLSX, printed, or served as JSON by the API: every presentation reads the same ``Report``, so the numbers
on the screen, in the spreadsheet and in the API are the same numbers.

Values in rows are plain: ``int`` for counts, ``float`` (one decimal) for percentages (0-100) and hours,
``Decimal`` for money (with the currency in its own column), ``str`` for labels, ``date`` for days, and ``None``
where a figure cannot be computed (no complaints to take a median of). Labels are translated when the report is
built, in the language of the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from django.utils import timezone

Grouping = Literal["day", "week", "month"]
# How a column's values are shown and exported.
ValueKind = Literal["text", "count", "percent", "hours", "money", "decimal", "rating", "date"]
ChartKind = Literal["bar", "stacked", "line", "pie"]


@dataclass(frozen=True)
class Period:
    """From ``date_from`` to ``date_to``, both included, in the site's time zone; buckets by ``group``."""

    date_from: date
    date_to: date
    group: Grouping = "week"

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date_from, time.min))

    @property
    def end(self) -> datetime:
        """The first moment after the period (exclusive bound)."""
        return timezone.make_aware(datetime.combine(self.date_to + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: ValueKind = "text"


@dataclass(frozen=True)
class Chart:
    """How to draw a table: the column giving the labels and the numeric columns drawn as series."""

    kind: ChartKind
    label_key: str
    series: tuple[str, ...]


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: Chart | None = None
    # What the numbers mean and what they count (shown under the title, exported as a note).
    note: str = ""


@dataclass(frozen=True)
class Figure:
    """A headline number at the top of a report."""

    key: str
    label: str
    value: Any
    kind: ValueKind = "count"
    note: str = ""
    # For money: the currency of ``value`` (empty: the site's default currency).
    currency: str = ""


@dataclass
class Report:
    slug: str
    title: str
    description: str
    period: Period
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)
