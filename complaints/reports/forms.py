"""The period of a report, from the query string: the dates, the grouping, and the quick presets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.forms import ImprovementRangeForm
from complaints.reports.base import Grouping, Period

# The longest period a report may cover: three years (a leap day included).
MAX_DAYS = 3 * 365 + 1
# Up to this many days a report groups by day, up to the next by week, beyond by month.
DAYS_BY_DAY = 31
DAYS_BY_WEEK = 183

GROUP_CHOICES = [("", _("Automatic")), ("day", _("By day")), ("week", _("By week")), ("month", _("By month"))]


def default_group(days: int) -> Grouping:
    """Buckets a chart can show: days for a month, weeks for half a year, months beyond."""
    if days <= DAYS_BY_DAY:
        return "day"
    if days <= DAYS_BY_WEEK:
        return "week"
    return "month"


class ReportPeriodForm(ImprovementRangeForm):
    """From, to (both included; the last 30 days by default, in the site's time zone) and the grouping (chosen
    from the length when left empty). ``period()`` is the checked ``Period``."""

    PERIOD_FIELDS = ("date_from", "date_to", "group")

    group = forms.ChoiceField(label=_("Group by"), choices=GROUP_CHOICES, required=False)

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if data is None or self.errors:
            return data
        days = (data["date_to"] - data["date_from"]).days + 1
        if days > MAX_DAYS:
            raise forms.ValidationError(_("Choose a period of at most three years."))
        data["group"] = data.get("group") or default_group(days)
        return data

    def period(self) -> Period:
        return Period(self.cleaned_data["date_from"], self.cleaned_data["date_to"], self.cleaned_data["group"])

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> ReportPeriodForm:
        """Bound to the query string when it names any part of the period, else to the defaults (so the page
        opens on the last 30 days and shows them in the form)."""
        if any(query.get(name) for name in cls.PERIOD_FIELDS):
            return cls({name: query.get(name, "") for name in cls.PERIOD_FIELDS})
        date_from, date_to = cls.default_range()
        return cls({"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "group": ""})


@dataclass(frozen=True)
class Preset:
    label: str
    date_from: date
    date_to: date


def period_presets(today: date | None = None) -> list[Preset]:
    """The quick choices above the form: the last 7, 30 and 90 days, this month, last month, this year."""
    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    return [
        Preset(str(_("Last 7 days")), today - timedelta(days=6), today),
        Preset(str(_("Last 30 days")), today - timedelta(days=29), today),
        Preset(str(_("Last 90 days")), today - timedelta(days=89), today),
        Preset(str(_("This month")), month_start, today),
        Preset(str(_("Last month")), last_month_end.replace(day=1), last_month_end),
        Preset(str(_("This year")), today.replace(month=1, day=1), today),
    ]
