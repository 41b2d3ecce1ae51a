"""The managers' reports (/reports/): the list, a report's page for a period, its print version and its CSV
and XLSX downloads. Every presentation reads the one ``Report`` that ``report_build`` makes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from complaints.reports.export import export_filename, report_xlsx, table_csv
from complaints.reports.forms import GROUP_CHOICES, ReportPeriodForm, period_presets
from complaints.reports.registry import REPORTS, ReportSpec, report_build
from complaints.views.access import reports_required

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _report_spec(slug: str) -> ReportSpec:
    spec = REPORTS.get(slug)
    if spec is None:
        raise Http404
    return spec


@require_GET
@reports_required
def report_index(request: HttpRequest) -> HttpResponse:
    """A card per report, in the registry's order."""
    return render(request, "reports/index.html", {"reports": list(REPORTS.values())})


@require_GET
@reports_required
def report_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The report for the period in the query string (the last 30 days by default). ``?format=csv&table=<key>``
    and ``?format=xlsx`` download it, ``?print=1`` is the print version. A period the form refuses shows the
    page with the errors and the values as typed, whatever was asked for."""
    spec = _report_spec(slug)
    export = request.GET.get("format", "")
    if export not in ("", "csv", "xlsx"):
        raise Http404
    form = ReportPeriodForm.from_query(request.GET)
    context: dict[str, Any] = {"spec": spec, "reports": list(REPORTS.values()), "form": form}
    if not form.is_valid():
        return render(request, "reports/report.html", {**context, "presets": period_presets()})

    now = timezone.now()
    report = report_build(slug=slug, period=form.period(), now=now)
    if export == "csv":
        try:
            table = report.table(request.GET.get("table", ""))
        except KeyError:
            raise Http404 from None
        return _download(table_csv(table), "text/csv; charset=utf-8", export_filename(report, "csv", table))
    if export == "xlsx":
        return _download(report_xlsx(report, generated_at=now), XLSX_TYPE, export_filename(report, "xlsx"))

    period = report.period
    context |= {
        "report": report,
        "generated_at": now,
        "group_label": dict(GROUP_CHOICES)[period.group],
        "period_query": urlencode(
            {"date_from": period.date_from.isoformat(), "date_to": period.date_to.isoformat(), "group": period.group}
        ),
    }
    if request.GET.get("print"):
        return render(request, "reports/print.html", context)
    return render(request, "reports/report.html", {**context, "presets": period_presets()})
