"""A report's downloads: one table as CSV and the whole report as XLSX, read back the way a spreadsheet would,
and the values of every kind a report can hold (money, dates, no value) as files and on the page."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from complaints.reports.base import Column, Figure, Period, Report, Table
from complaints.reports.export import report_xlsx, table_csv
from complaints.templatetags.reports import format_value
from tests.factories import REPORT_PERIOD, volume_history

URL = "/reports/volume/"


@pytest.fixture
def carol_client(client: Client, manager_carol: Any) -> Client:
    client.force_login(manager_carol)
    return client


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def money_report() -> Report:
    """A report with every kind of value: what the compensation and time reports will carry."""
    columns = [
        Column("day", "Day", "date"),
        Column("kind", "Offer", "text"),
        Column("offers", "Offers", "count"),
        Column("share", "Share", "percent"),
        Column("hours", "Median hours", "hours"),
        Column("amount", "Amount", "money"),
        Column("currency", "Currency", "text"),
    ]
    rows: list[dict[str, Any]] = [
        {
            "day": date(2026, 3, 10),
            "kind": "Voucher",
            "offers": 3,
            "share": 75.0,
            "hours": 12.5,
            "amount": Decimal("1234.50"),
            "currency": "RUB",
        },
        {
            "day": date(2026, 3, 11),
            "kind": "Refund",
            "offers": 1,
            "share": 25.0,
            "hours": None,
            "amount": Decimal("0.00"),
            "currency": "RUB",
        },
    ]
    return Report(
        slug="compensation",
        title="Compensation",
        description="What we gave back.",
        period=Period(date(2026, 3, 1), date(2026, 3, 31), "day"),
        figures=[
            Figure("total", "Given back", Decimal("1234.50"), kind="money"),
            Figure("median", "Median", None, "hours"),
        ],
        tables=[
            Table("offers", "Offers: by kind / day [all]", columns, rows),
            Table("again", "Offers: by kind / day [all]", columns, rows[:1]),
            Table("long", "A title far longer than the thirty-one characters a sheet may have", columns, []),
        ],
    )


# --- CSV ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_table_downloads_as_csv_with_its_labels_and_plain_values(carol_client: Client) -> None:
    volume_history()

    response = carol_client.get(URL, {**REPORT_PERIOD, "format": "csv", "table": "by_category"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == 'attachment; filename="amends-volume-by_category-2026-03-01-2026-03-31.csv"'
    )
    rows = read_csv(response.content)
    assert rows[0] == ["Category", "Complaints", "Share"]
    assert rows[1] == ["Faulty product", "3", "60.0"]
    assert ["Delivery", "2", "40.0"] in rows
    assert len(rows) == 1 + 6  # every category, counted or not


@pytest.mark.django_db
def test_the_csv_header_is_in_the_manager_s_language(carol_client: Client) -> None:
    volume_history()

    response = carol_client.get(
        URL, {**REPORT_PERIOD, "format": "csv", "table": "received"}, headers={"accept-language": "ru"}
    )

    with translation.override("ru"):
        header = [gettext("Period"), gettext("Complaints")]
    assert read_csv(response.content) == [header, ["2026-03-10", "3"], ["2026-03-20", "2"]]
    assert "Жалобы" in header


def test_money_dates_and_missing_values_in_csv() -> None:
    rows = read_csv(table_csv(money_report().table("offers")))

    assert rows == [
        ["Day", "Offer", "Offers", "Share", "Median hours", "Amount", "Currency"],
        ["2026-03-10", "Voucher", "3", "75.0", "12.5", "1234.50", "RUB"],
        ["2026-03-11", "Refund", "1", "25.0", "", "0.00", "RUB"],
    ]


# --- XLSX ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_report_downloads_as_one_workbook(carol_client: Client) -> None:
    volume_history()

    response = carol_client.get(URL, {**REPORT_PERIOD, "format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="amends-volume-2026-03-01-2026-03-31.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Summary", "Received", "By category", "By product", "By channel", "Open now, by age"]

    summary = book["Summary"]
    assert summary["A1"].value == "Volume"
    assert summary["A1"].font.bold
    values = {row[0]: row[1] for row in summary.iter_rows(min_row=4, values_only=True) if row[0]}
    assert values["First day"] == datetime(2026, 3, 1)
    assert values["Last day"] == datetime(2026, 3, 31)
    assert values["Received in the period"] == 5
    assert values["Open now"] == 6
    assert isinstance(values["Generated"], datetime)

    sheet = book["By category"]
    assert [cell.value for cell in sheet[1]] == ["Category", "Complaints", "Share"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    rows = {row[0]: row[1:] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["Faulty product"] == (3, 60.0)
    assert rows["Delivery"] == (2, 40.0)
    assert sheet["B2"].number_format == "0"
    assert sheet["C2"].number_format == '0.0"%"'
    assert sheet.column_dimensions["A"].width >= len("Quality of service")
    assert list(book["Received"].iter_rows(min_row=2, values_only=True)) == [
        ("2026-03-10", 3),
        ("2026-03-20", 2),
    ]


def test_money_dates_and_missing_values_in_xlsx() -> None:
    book = openpyxl.load_workbook(
        io.BytesIO(report_xlsx(money_report(), generated_at=datetime(2026, 4, 1, 8, tzinfo=UTC)))
    )

    # Names Excel accepts: no []:*?/\, at most 31 characters, none twice.
    assert book.sheetnames == [
        "Summary",
        "Offers by kind day all",
        "Offers by kind day all (2)",
        "A title far longer than the thi",
    ]
    sheet = book.worksheets[1]
    day, kind, offers, share, hours, amount, currency = sheet[2]
    assert (day.value, day.number_format) == (datetime(2026, 3, 10), "yyyy-mm-dd")
    assert (offers.value, offers.number_format) == (3, "0")
    assert (share.value, share.number_format) == (75, '0.0"%"')
    assert (hours.value, hours.number_format) == (12.5, "0.0")
    assert (amount.value, amount.number_format) == (1234.5, "#,##0.00")
    assert (kind.value, currency.value) == ("Voucher", "RUB")
    assert sheet["E3"].value is None  # no median to show
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=4, values_only=True) if row[0]}
    assert summary["Given back"] == 1234.5
    assert summary["Median"] is None
    assert summary["Generated"] == datetime(2026, 4, 1, 8)  # the site's time zone (UTC here)
    assert [cell.value for cell in book.worksheets[3][1]][:2] == ["Day", "Offer"]  # the header even with no rows


# --- on the page --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "currency", "english", "russian"),
    [
        (1234, "count", "", "1,234", "1\xa0234"),
        (12.5, "percent", "", "12.5%", "12,5%"),
        (3.0, "hours", "", "3.0", "3,0"),
        (Decimal("1234.5"), "money", "RUB", "1,234.50\xa0RUB", "1\xa0234,50\xa0RUB"),
        (Decimal("1500"), "money", "JPY", "1,500\xa0JPY", "1\xa0500\xa0JPY"),
        (date(2026, 3, 10), "date", "", "03/10/2026", "10.03.2026"),
        (None, "hours", "", "—", "—"),
        ("Voucher", "text", "", "Voucher", "Voucher"),
    ],
)
def test_values_are_shown_in_the_language_s_number_format(
    value: Any, kind: str, currency: str, english: str, russian: str
) -> None:
    with translation.override("en"):
        assert format_value(value, kind, currency) == english
    with translation.override("ru"):
        assert format_value(value, kind, currency) == russian
