"""A manager reads the volume report in a real browser: the charts are drawn, the period changes, and the
spreadsheet downloaded has the numbers the page shows."""

import io
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.factories import manager, volume_history

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# /tmp/reports-volume.png: what the page looked like, for a person to check.
SCREENSHOT = Path(tempfile.gettempdir()) / "reports-volume.png"


def test_a_manager_reads_the_volume_report_and_downloads_it(page: Page, live_server: Any) -> None:
    manager("carol", first_name="Carol", last_name="Managerova")
    volume_history()

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("carol")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()

    page.get_by_test_id("nav-reports").click()
    expect(page).to_have_url(f"{live_server.url}/reports/")
    page.get_by_test_id("report-card-volume").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Volume")
    # The last 30 days: nothing received, but the six complaints are still open, and their chart is drawn.
    expect(page.locator('[data-figure="backlog"] dd')).to_have_text("6")
    expect(page.locator("#canvas-backlog_age")).to_have_attribute("data-rendered", "1")

    form = page.get_by_test_id("period-form")
    form.get_by_label("First day").fill("2026-03-01")
    form.get_by_label("Last day").fill("2026-03-31")
    form.get_by_role("button", name="Show").click()

    expect(page.locator('[data-figure="received"] dd')).to_have_text("5")
    expect(page.locator("#canvas-received")).to_have_attribute("data-rendered", "1")
    expect(page.locator("#canvas-by_category")).to_have_attribute("data-rendered", "1")
    expect(page.locator("#canvas-by_channel")).to_have_attribute("data-rendered", "1")
    rows = page.get_by_test_id("rows-by_category")
    expect(rows.locator("tr", has_text="Faulty product")).to_contain_text("3")
    expect(rows.locator("tr", has_text="Delivery")).to_contain_text("40.0%")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_test_id("download-xlsx").click()
    download = download_info.value
    assert download.suggested_filename == "amends-volume-2026-03-01-2026-03-31.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()))
    by_category = {row[0]: row[1:] for row in book["By category"].iter_rows(min_row=2, values_only=True)}
    assert by_category["Faulty product"] == (3, 60.0)
    assert by_category["Delivery"] == (2, 40.0)
    assert list(book["Received"].iter_rows(min_row=2, values_only=True)) == [
        ("2026-03-10", 3),
        ("2026-03-20", 2),
    ]
