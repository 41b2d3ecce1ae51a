"""Moving through the work from the keyboard: "next complaint" (the ``n`` shortcut, and its plain links).

The shortcuts themselves live in ``static/js/shortcuts.js``; everything they do is also a link or a button
here or on the page, so the dashboard works the same without JavaScript.
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from complaints import selectors
from complaints.models import Complaint

# ``Complaint.reference`` holds at most this many characters; anything longer in ``?from=`` is not one.
REFERENCE_MAX_LENGTH = 20


@require_GET
@login_required
def complaint_next(request: HttpRequest) -> HttpResponse:
    """Open the complaint this person should handle next (``?from=`` is the one they are leaving), or go back
    to the queue saying that nothing is waiting. Anyone who is not support staff gets a 403 from the selector."""
    leaving = request.GET.get("from", "").strip()[:REFERENCE_MAX_LENGTH]
    complaint = selectors.complaint_next_for_agent(user=request.user, after_reference=leaving)
    if complaint is None:
        messages.info(request, _("Nothing waiting for you."))
        return redirect("dashboard:queue")
    return redirect("dashboard:complaint", reference=complaint.reference)


def next_complaint_url(reference: str = "") -> str:
    """The "next complaint" link; from a complaint page it skips that complaint."""
    url = reverse("dashboard:next")
    return f"{url}?{urlencode({'from': reference})}" if reference else url


urlpatterns: list[URLPattern] = [
    path("next/", complaint_next, name="next"),
]


def detail_context(request: HttpRequest, complaint: Complaint) -> dict[str, Any]:
    """What this part adds to the complaint page's context: the "next complaint" link that skips this one."""
    return {"next_complaint_url": next_complaint_url(complaint.reference)}
