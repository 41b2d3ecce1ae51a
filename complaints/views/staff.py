"""The support staff's dashboard: the queue and the complaint page. Thin: selectors read, services write."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from complaints import selectors, services
from complaints.forms import StaffMessageForm, TransitionForm
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
    }
    return render(request, "dashboard/complaint.html", context)


def _back(reference: str) -> HttpResponse:
    return redirect(reverse("dashboard:complaint", kwargs={"reference": reference}))


def _run(request: HttpRequest, reference: str, action: Callable[[], object], done: str) -> HttpResponse:
    try:
        action()
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return _back(reference)


@require_POST
@staff_required
def complaint_reply(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
    form = StaffMessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The reply is empty or too long."))
        return _back(reference)
    body = form.cleaned_data["body"]
    return _run(
        request,
        reference,
        lambda: services.complaint_reply(complaint=complaint, author=staff_user(request.user), body=body),
        _("Reply sent to the customer."),
    )


@require_POST
@staff_required
def complaint_note(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
    form = StaffMessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is empty or too long."))
        return _back(reference)
    body = form.cleaned_data["body"]
    return _run(
        request,
        reference,
        lambda: services.complaint_note_add(complaint=complaint, author=staff_user(request.user), body=body),
        _("Internal note added."),
    )


@require_POST
@staff_required
def complaint_assign_to_me(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
    me = staff_user(request.user)
    return _run(
        request,
        reference,
        lambda: services.complaint_assign(complaint=complaint, assignee=me, actor=me),
        _("The complaint is yours."),
    )


@require_POST
@staff_required
def complaint_transition(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = selectors.complaint_id_for_staff(user=request.user, reference=reference)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an action."))
        return _back(reference)
    action, comment = form.cleaned_data["action"], form.cleaned_data["comment"]
    actor = staff_user(request.user)
    return _run(
        request,
        reference,
        lambda: services.complaint_transition(complaint=complaint, action=action, actor=actor, comment=comment),
        _("Done: %(action)s.") % {"action": Action(action).label},
    )
