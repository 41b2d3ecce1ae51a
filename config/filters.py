"""Filters shared by the API's filtersets."""

from datetime import UTC, datetime
from typing import Any

import django_filters
import django_filters.fields
from django import forms
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


@extend_schema_field(OpenApiTypes.INT64)
class IdFilter(django_filters.NumberFilter):  # type: ignore[misc]
    """A record's id: a whole number (``1.5`` or ``x`` is a 400, not a near match)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class StrictFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    """A parameter that is given must hold a value of its type: an empty or unreadable choice, number, date or
    yes/no is a 400 naming it, not silently no filter at all. Only free text may be empty."""

    def is_valid(self) -> bool:
        valid = bool(super().is_valid())
        for name, declared in self.filters.items():
            if type(declared) is django_filters.CharFilter or name not in self.data:
                continue
            given = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data[name]]
            if len(given) > 1 or self.form.cleaned_data.get(name) in (None, ""):
                if name not in self.form.errors:
                    self.form.add_error(name, gettext("Enter a valid value."))
                valid = False
        return valid


class _UtcDateTimeField(django_filters.fields.IsoDateTimeField):  # type: ignore[misc]
    def to_python(self, value: Any) -> datetime | None:
        parsed: datetime | None = super().to_python(value)
        if parsed is None:
            return None
        try:
            # PostgreSQL refuses offsets beyond ±15:59 that Python accepts (up to ±23:59): compare in UTC.
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class DateTimeFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]
    """An ISO 8601 date and time (``2026-12-08T09:30:00+03:00``); one without an offset is in UTC."""

    field_class = _UtcDateTimeField
