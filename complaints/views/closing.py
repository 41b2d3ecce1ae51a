"""Closing the loop: the closing fields of the complaint page's "Change status" form, and the managers' page
"What keeps going wrong" (root causes, outcomes, products and corrective actions over a date range)."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from compensation.models import OfferStatus
from complaints import selectors
from complaints.forms import ImprovementRangeForm, TransitionForm
from complaints.models import Complaint
from complaints.permissions import can_handle_complaints
from complaints.transitions import Action, allowed_actions
from complaints.views.access import reports_required

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

# An outcome the customer seems happy with: the close form suggests "accepted" (staff still decide).
SATISFIED_RATING = 4
ACCEPTED_OFFER_STATUSES = (OfferStatus.ACCEPTED, OfferStatus.FULFILLED)


def customer_seems_satisfied(complaint: Complaint) -> bool:
    """Whether the customer accepted an offer on the complaint or rated it 4 or 5. Reads the offers the
    complaint page has already fetched."""
    if complaint.rating is not None and complaint.rating >= SATISFIED_RATING:
        return True
    return any(offer.status in ACCEPTED_OFFER_STATUSES for offer in complaint.offers.all())


def detail_context(request: HttpRequest, complaint: Complaint) -> dict[str, Any]:
    """Which closing fields the "Change status" form shows (those the allowed actions need), and the close
    form's suggested answer to "Did the customer accept the outcome?"."""
    if not can_handle_complaints(request.user):
        return {}
    actions = set(allowed_actions(complaint.status))
    settles = bool(actions & {Action.RESOLVE, Action.REJECT})
    shown = {
        "outcome": Action.RESOLVE in actions,
        "root_cause": settles,
        "corrective_action": settles,
        "customer_accepted": Action.CLOSE in actions,
    }
    context: dict[str, Any] = {"closing_fields": shown}
    if shown["customer_accepted"] and customer_seems_satisfied(complaint):
        context["transition_form"] = TransitionForm(initial={"customer_accepted": "yes"})
    return context


@require_GET
@reports_required
def improvement(request: HttpRequest) -> HttpResponse:
    """What keeps going wrong, for a date range from the query string (the last 30 days by default)."""
    form = ImprovementRangeForm(request.GET or None)
    summary = None
    if not form.is_bound:
        date_from, date_to = ImprovementRangeForm.default_range()
        form = ImprovementRangeForm(initial={"date_from": date_from, "date_to": date_to})
        summary = selectors.complaint_root_cause_summary(user=request.user, date_from=date_from, date_to=date_to)
    elif form.is_valid():
        summary = selectors.complaint_root_cause_summary(
            user=request.user, date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"]
        )
    return render(request, "dashboard/improvement.html", {"form": form, "summary": summary})


urlpatterns: list[URLPattern] = [
    path("improvement/", improvement, name="improvement"),
]
