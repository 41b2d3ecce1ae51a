"""Placeholder: filled in by the work on this part of the dashboard."""

from typing import Any

from django.http import HttpRequest
from django.urls import URLPattern

from complaints.models import Complaint

urlpatterns: list[URLPattern] = []


def detail_context(request: HttpRequest, complaint: Complaint) -> dict[str, Any]:
    """What this part adds to the complaint page's context."""
    return {}
