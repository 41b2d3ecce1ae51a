"""A report as files: one table as CSV, the whole report as an XLSX workbook, and the plain values both use.

The numbers are the report's own, unformatted: counts as integers, percentages (0-100) and hours as numbers,
money as a plain decimal. In the workbook a percentage stays the same number as on the page and in the CSV
(12.5 for 12.5 %) and is shown with the number format ``0.0"%"``, so a formula over it reads what a person sees.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from complaints.reports.base import Report, Table, ValueKind

PlainValue = str | int | float | None

# Excel's number format per kind of column (text is left as it is).
NUMBER_FORMATS: dict[ValueKind, str] = {
    "count": "0",
    "percent": '0.0"%"',
    "hours": "0.0",
    "money": "#,##0.00",
    "decimal": "0.0",
    "rating": "0.0",
    "date": "yyyy-mm-dd",
}
SHEET_NAME_LENGTH = 31
# Excel refuses these in a sheet's name.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
COLUMN_WIDTH_MAX = 60


def plain_value(value: Any) -> PlainValue:
    """A value as JSON and CSV carry it: numbers stay numbers, money is a decimal string, dates are ISO."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    return str(value)


def export_filename(report: Report, extension: str, table: Table | None = None) -> str:
    """``amends-<slug>[-<table>]-<from>-<to>.<extension>``."""
    parts = ["amends", report.slug, *([table.key] if table else []), str(report.period.date_from)]
    return "-".join([*parts, str(report.period.date_to)]) + f".{extension}"


def table_csv(table: Table) -> bytes:
    """One table as UTF-8 CSV with a byte order mark (so Excel reads Cyrillic right): the column labels, then
    the rows' plain values (an empty cell where there is no value)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.label for column in table.columns])
    for row in table.rows:
        cells = (plain_value(row.get(column.key)) for column in table.columns)
        writer.writerow(["" if cell is None else cell for cell in cells])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell_value(value: Any) -> Any:
    """What openpyxl stores: numbers and dates as they are (a date stays a real date), text as text."""
    if value is None or (isinstance(value, int | float | Decimal | date) and not isinstance(value, bool)):
        if isinstance(value, datetime):
            return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        return value
    return str(value)


def _sheet_name(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of ``[]:*?/\\``, unique regardless of case."""
    base = " ".join(SHEET_NAME_FORBIDDEN.sub(" ", title).split()).strip("'") or "Sheet"
    name = base[:SHEET_NAME_LENGTH]
    number = 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name = base[: SHEET_NAME_LENGTH - len(suffix)] + suffix
        number += 1
    taken.add(name.lower())
    return name


def _fit_columns(sheet: Worksheet, *, first_row: int = 1) -> None:
    """Each column as wide as its longest value from ``first_row`` on (rows above may run over)."""
    for index, column in enumerate(sheet.iter_cols(min_row=first_row), start=1):
        longest = max((len(str(cell.value)) for cell in column if cell.value is not None), default=8)
        sheet.column_dimensions[get_column_letter(index)].width = min(longest + 2, COLUMN_WIDTH_MAX)


def _write_row(sheet: Worksheet, values: list[Any], kinds: list[ValueKind | None], *, bold: bool = False) -> None:
    sheet.append([_cell_value(value) for value in values])
    for cell, kind in zip(sheet[sheet.max_row], kinds, strict=False):
        if bold:
            cell.font = Font(bold=True)
        if kind in NUMBER_FORMATS and cell.value is not None and not isinstance(cell.value, str):
            cell.number_format = NUMBER_FORMATS[kind]


def _summary_sheet(sheet: Worksheet, report: Report, generated_at: datetime, sheet_names: list[str]) -> None:
    period = report.period
    sheet.append([str(report.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([str(report.description)])
    sheet.append([])
    _write_row(sheet, [_("First day"), period.date_from], [None, "date"])
    _write_row(sheet, [_("Last day"), period.date_to], [None, "date"])
    _write_row(sheet, [_("Generated"), generated_at], [None, None])
    sheet.cell(sheet.max_row, 2).number_format = "yyyy-mm-dd hh:mm"
    sheet.append([])
    _write_row(sheet, [_("Figure"), _("Value"), _("Note")], [None, None, None], bold=True)
    for figure in report.figures:
        _write_row(sheet, [figure.label, figure.value, figure.note], [None, figure.kind, None])
    sheet.append([])
    _write_row(sheet, [_("Sheet"), _("Table"), _("Note")], [None, None, None], bold=True)
    for name, table in zip(sheet_names, report.tables, strict=True):
        sheet.append([name, str(table.title), str(table.note)])
    # The title and the description run over the columns instead of widening the first one.
    _fit_columns(sheet, first_row=4)


def report_xlsx(report: Report, *, generated_at: datetime | None = None) -> bytes:
    """The whole report as one workbook: a summary sheet (title, period, figures, the tables' notes), then a
    sheet per table with a bold, frozen header row, each column in its kind's number format."""
    workbook = Workbook()
    summary = workbook.worksheets[0]
    taken: set[str] = set()
    summary.title = _sheet_name(_("Summary"), taken)
    sheet_names = [_sheet_name(str(table.title), taken) for table in report.tables]
    _summary_sheet(summary, report, timezone.localtime(generated_at or timezone.now()), sheet_names)
    for name, table in zip(sheet_names, report.tables, strict=True):
        sheet = workbook.create_sheet(name)
        kinds: list[ValueKind | None] = [column.kind for column in table.columns]
        _write_row(sheet, [column.label for column in table.columns], [None] * len(kinds), bold=True)
        for row in table.rows:
            _write_row(sheet, [row.get(column.key) for column in table.columns], kinds)
        sheet.freeze_panes = "A2"
        _fit_columns(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
