"""The support staff's dashboard: the queue and the complaint page. Thin: selectors read, services write."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from compensation.services import offer_make
from complaints import selectors, services
from complaints.forms import StaffMessageForm, StaffOfferForm, TransitionForm
from complaints.models import Status
from complaints.permissions import can_handle_complaints, can_view_complaints, staff_user
from complaints.transitions import Action, allowed_actions
from config.exceptions import ApplicationError

QUEUE_PAGE_SIZE = 50

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_view_complaints(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    page = selectors.complaint_queue_page(
        user=request.user, status=status or None, cursor=request.GET.get("after", ""), size=QUEUE_PAGE_SIZE
    )
    context = {"page": page, "status": status, "statuses": Status.choices, "now": timezone.now()}
    return render(request, "dashboard/queue.html", context)


@require_GET
@staff_required
def complaint_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _detail_page(request, reference)


def _detail_page(request: HttpRequest, reference: str, **bound_forms: forms.Form) -> HttpResponse:
    """The complaint page; after a refused action, with the refused form as typed (nothing is lost)."""
    complaint = selectors.complaint_get_for_staff(user=request.user, reference=reference)
    can_handle = can_handle_complaints(request.user)
    context = {
        "complaint": complaint,
        "events": complaint.events.all(),
        "letters": complaint.letters.all(),
        "can_handle": can_handle,
        "actions": [(a, Action(a).label) for a in allowed_actions(complaint.status)] if can_handle else [],
        "reply_form": StaffMessageForm(),
        "note_form": StaffMessageForm(),
        "transition_form": TransitionForm(),
        "offer_form": StaffOfferForm(),
        "offers": complaint.offers.all(),
        **bound_forms,
    }
    return render(request, "dashboard/complaint.html", context)


def _perform(
    request: HttpRequest,
    reference: str,
    *,
    form: forms.Form,
    form_name: str,
    invalid: str,
    action: Callable[[dict[str, Any]], object],
    done: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """Validate ``form``, run ``action`` (a service call), then redirect back; a refusal re-renders the page
    with the error and the typed text."""
    if not form.is_valid():
        messages.error(request, invalid)
        return _detail_page(request, reference, **{form_name: form})
    try:
        action(form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return _detail_page(request, reference, **{form_name: form})
    messages.success(request, done(form.cleaned_data))
    return redirect(reverse("dashboard:complaint", kwargs={"reference": reference}))


@require_POST
@staff_required
def complaint_reply(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
    author = staff_user(request.user)
    return _perform(
        request,
        reference,
        form=StaffMessageForm(request.POST),
        form_name="reply_form",
        invalid=_("The reply is empty or too long."),
        action=lambda data: services.complaint_reply(complaint=complaint, author=author, body=data["body"]),
        done=lambda data: _("Reply sent to the customer."),
    )


@require_POST
@staff_required
def complaint_note(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
    author = staff_user(request.user)
    return _perform(
        request,
        reference,
        form=StaffMessageForm(request.POST),
        form_name="note_form",
        invalid=_("The note is empty or too long."),
        action=lambda data: services.complaint_note_add(complaint=complaint, author=author, body=data["body"]),
        done=lambda data: _("Internal note added."),
    )


@require_POST
@staff_required
def complaint_assign_to_me(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
    me = staff_user(request.user)
    return _perform(
        request,
        reference,
        form=forms.Form(request.POST),
        form_name="assign_form",
        invalid="",
        action=lambda data: services.complaint_assign(complaint=complaint, assignee=me, actor=me),
        done=lambda data: _("The complaint is yours."),
    )


@require_POST
@staff_required
def complaint_transition(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
    actor = staff_user(request.user)
    return _perform(
        request,
        reference,
        form=TransitionForm(request.POST),
        form_name="transition_form",
        invalid=_("Choose an action."),
        action=lambda data: services.complaint_transition(
            complaint=complaint, action=data["action"], actor=actor, comment=data["comment"]
        ),
        done=lambda data: _("Done: %(action)s.") % {"action": Action(data["action"]).label},
    )


@require_POST
@staff_required
def complaint_offer(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
    actor = staff_user(request.user)
    return _perform(
        request,
        reference,
        form=StaffOfferForm(request.POST),
        form_name="offer_form",
        invalid=_("Check the offer: what it is, the amount or days, and what it is for."),
        action=lambda data: offer_make(
            complaint=complaint,
            actor=actor,
            kind=data["kind"],
            reason=data["reason"],
            amount=data["amount"],
            currency=data["currency"],
            duration_days=data["duration_days"],
        ),
        done=lambda data: _("The offer is on its way to the customer."),
    )
