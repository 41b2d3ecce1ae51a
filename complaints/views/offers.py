"""Compensation offers on the dashboard: propose one (prefilled with the policy's suggestion), approve or reject
one above the proposer's limit, withdraw one, mark one fulfilled, and the managers' approvals queue."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from compensation import services as offer_services
from compensation.models import OfferKind, OfferStatus
from compensation.selectors import can_approve_offers, offer_exists_on_complaint, offer_pending_approval_list
from compensation.services.offers import AUTO_FULFILLED_KINDS
from complaints import selectors
from complaints.forms import OfferStepForm, StaffOfferForm
from complaints.models import Complaint
from complaints.permissions import UserLike, can_handle_complaints, staff_user
from complaints.views.access import role_required, staff_required
from config.exceptions import ApplicationError, PermissionRefused

# Shown without pagination: an approvals queue longer than this needs more managers, not more pages.
APPROVALS_PAGE_SIZE = 100


def _may_approve(user: UserLike) -> bool:
    return isinstance(user, User) and can_approve_offers(user)


approvers_required = role_required(_may_approve)


def detail_context(request: HttpRequest, complaint: Complaint) -> dict[str, Any]:
    """The offer form prefilled with the policy's suggestion, and who may approve here."""
    if not can_handle_complaints(request.user):
        return {}
    suggestion = offer_services.offer_suggest(complaint=complaint)
    initial: dict[str, Any] = {}
    if suggestion is not None:
        initial = {
            "kind": suggestion.kind,
            "amount": suggestion.amount,
            "currency": suggestion.currency,
            "duration_days": suggestion.duration_days,
        }
    elif complaint.purchase is not None:
        initial = {"currency": complaint.purchase.currency}
    return {
        "offer_suggestion": suggestion,
        "offer_suggestion_label": OfferKind(suggestion.kind).label if suggestion is not None else "",
        "offer_form": StaffOfferForm(initial=initial),
        "can_approve_offers": _may_approve(request.user),
        "offer_step_form": OfferStepForm(),
        "staff_fulfilled_kinds": [k for k in OfferKind.values if k not in AUTO_FULFILLED_KINDS],
    }


def _back(request: HttpRequest, reference: str, next_url: str = "") -> HttpResponse:
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect(reverse("dashboard:complaint", kwargs={"reference": reference}))


@require_POST
@staff_required
def complaint_offer(request: HttpRequest, reference: str) -> HttpResponse:
    """Propose an offer: sent at once within the proposer's limit, else queued for a manager's approval."""
    from complaints.views.staff import _detail_page

    complaint_id = selectors.complaint_id_for_staff(user=request.user, reference=reference)
    form = StaffOfferForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the offer: what it is, the amount or days, and what it is for."))
        return _detail_page(request, reference, offer_form=form)
    data = form.cleaned_data
    try:
        offer = offer_services.offer_propose(
            complaint=complaint_id,
            actor=staff_user(request.user),
            kind=data["kind"],
            reason=data["reason"],
            amount=data["amount"],
            currency=data["currency"],
            duration_days=data["duration_days"],
        )
    except PermissionRefused:
        raise
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return _detail_page(request, reference, offer_form=form)
    if offer.status == OfferStatus.PENDING_APPROVAL:
        messages.success(request, _("The offer is above your limit: a manager has been asked to approve it."))
    else:
        messages.success(request, _("The offer is on its way to the customer."))
    return redirect(reverse("dashboard:complaint", kwargs={"reference": reference}))


STEPS = {
    "approve": (_may_approve, _("Approved: the offer is on its way to the customer.")),
    "reject": (_may_approve, _("Not approved: the proposer has been told why.")),
    "withdraw": (can_handle_complaints, _("The offer is withdrawn.")),
    "fulfil": (can_handle_complaints, _("Recorded as fulfilled: the customer has been told.")),
}


@require_POST
@staff_required
def offer_step(request: HttpRequest, reference: str, offer_id: int, step: str) -> HttpResponse:
    """One step of an offer's lifecycle from the complaint page or the approvals queue."""
    if step not in STEPS:
        raise Http404
    allowed, done = STEPS[step]
    if not allowed(request.user):
        raise PermissionDenied
    complaint_id = selectors.complaint_id_for_staff(user=request.user, reference=reference)
    if not offer_exists_on_complaint(offer_id=offer_id, complaint_id=complaint_id):
        raise Http404
    form = OfferStepForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    actor = staff_user(request.user)
    try:
        if step == "approve":
            offer_services.offer_approve(offer_id=offer_id, actor=actor)
        elif step == "reject":
            offer_services.offer_reject(offer_id=offer_id, actor=actor, reason=data.get("reason", ""))
        elif step == "withdraw":
            offer_services.offer_withdraw(offer_id=offer_id, actor=actor, reason=data.get("reason", ""))
        else:
            offer_services.offer_fulfil(
                offer_id=offer_id, actor=actor, billing_reference=data.get("billing_reference", "")
            )
    except PermissionRefused:
        raise
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return _back(request, reference, data.get("next", ""))
    messages.success(request, str(done))
    return _back(request, reference, data.get("next", ""))


@require_GET
@approvers_required
def approvals(request: HttpRequest) -> HttpResponse:
    """Offers waiting for approval, the oldest first: who proposed what, for which complaint, beside what the
    policy suggested."""
    pending = list(offer_pending_approval_list()[:APPROVALS_PAGE_SIZE])
    return render(
        request,
        "dashboard/approvals.html",
        {"pending": pending, "step_form": OfferStepForm(), "page_size": APPROVALS_PAGE_SIZE},
    )


urlpatterns: list[URLPattern] = [
    path("complaints/<str:reference>/offer/", complaint_offer, name="offer"),
    path("complaints/<str:reference>/offers/<int:offer_id>/<str:step>/", offer_step, name="offer_step"),
    path("approvals/", approvals, name="approvals"),
]
