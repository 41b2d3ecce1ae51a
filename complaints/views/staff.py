"""The support staff's dashboard: the queue and the complaint page. Thin: selectors read, services write."""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from complaints import selectors, services
from complaints.apology import ApologyHint
from complaints.canned import canned_get, canned_groups, canned_render
from complaints.forms import FieldChangeForm, QueueBulkForm, StaffMessageForm, StaffOfferForm, TransitionForm
from complaints.models import Category, Priority
from complaints.permissions import can_handle_complaints, staff_user
from complaints.queue import (
    QueueFilterForm,
    Tab,
    queue_params,
    queue_query_string,
    saved_filter_delete,
    saved_filter_list,
    saved_filter_save,
)
from complaints.transitions import Action, allowed_actions
from complaints.views import closing, merge, navigation, offers, teams
from complaints.views.access import staff_required
from config.exceptions import ApplicationError

QUEUE_PAGE_SIZE = 50

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


@require_GET
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    """The queue: tabs with counts, filters, search, sort and keyset pages. ``?partial=1`` renders only the
    parts the page's poll swaps in (tab counts, rows, pager), from the same template."""
    me = staff_user(request.user)
    now = timezone.now()
    options = selectors.queue_filter_options(user=me)
    form = QueueFilterForm(request.GET, options=options)
    params = queue_params(form)
    page = selectors.complaint_queue_page(
        user=me, params=params, cursor=request.GET.get("after", ""), size=QUEUE_PAGE_SIZE, now=now
    )
    filters = queue_query_string(request.GET)
    counts = selectors.complaint_queue_counts(user=me, now=now)
    context = {
        "form": form,
        "params": params,
        "page": page,
        "tabs": [(tab, label, counts[tab], _with_tab(request, tab)) for tab, label in Tab.CHOICES],
        "filters": filters,
        "now": now,
    }
    if request.GET.get("partial"):
        return render(request, "dashboard/queue.html#refresh", context)
    context["saved_filters"] = saved_filter_list(user=me)
    # The bulk bar offers the same cached agents; unsaved users carrying the display name are all it reads.
    assignees = [User(pk=pk, username=name) for pk, name in options.assignees]
    context["bulk_form"] = QueueBulkForm(
        assignees=assignees, initial={"next": request.get_full_path()}, auto_id="bulk_%s"
    )
    return render(request, "dashboard/queue.html", context)


def _with_tab(request: HttpRequest, tab: str) -> str:
    query = request.GET.copy()
    for name in ("after", "partial", "tab"):
        query.pop(name, None)
    query["tab"] = tab
    return queue_query_string(query)


@require_GET
@staff_required
def complaint_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _detail_page(request, reference)


def _detail_page(
    request: HttpRequest, reference: str, reply_hints: Sequence[ApologyHint] = (), /, **bound_forms: forms.Form
) -> HttpResponse:
    """The complaint page; after a refused action, with the refused form as typed (nothing is lost).

    ``reply_hints`` is the apology check's advice on a reply held back for a second look; ``?canned=<id>``
    starts the reply from that canned response (the composer without JavaScript).
    """
    complaint = selectors.complaint_get_for_staff(user=request.user, reference=reference)
    can_handle = can_handle_complaints(request.user)
    reply_start = ""
    if can_handle and "canned" in request.GET:
        chosen = canned_get(canned_id=request.GET["canned"])
        if chosen is not None:
            reply_start = canned_render(canned=chosen, complaint=complaint, agent=staff_user(request.user))
    context = {
        "complaint": complaint,
        "events": complaint.events.all(),
        "letters": complaint.letters.all(),
        "can_handle": can_handle,
        "actions": [(a, Action(a).label) for a in allowed_actions(complaint.status)] if can_handle else [],
        "reply_form": StaffMessageForm(initial={"body": reply_start}),
        "reply_hints": reply_hints,
        "canned_groups": canned_groups(first=complaint.language) if can_handle else [],
        "note_form": StaffMessageForm(),
        "transition_form": TransitionForm(),
        "offer_form": StaffOfferForm(),
        "offers": complaint.offers.all(),
        "priorities": Priority.choices,
        "categories": Category.choices,
        "history": selectors.customer_history_for_staff(user=request.user, complaint=complaint),
        **closing.detail_context(request, complaint),
        **merge.detail_context(request, complaint),
        **teams.detail_context(request, complaint),
        **navigation.detail_context(request, complaint),
        **offers.detail_context(request, complaint),
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
    action: Callable[[int, User, dict[str, Any]], object],
    done: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """Find the complaint (staff only, 404 if unknown), validate ``form``, run ``action(complaint_id, actor,
    cleaned_data)`` (a service call), then redirect back; a refusal re-renders the page with the error and the
    typed text."""
    complaint_id = selectors.complaint_id_for_staff(user=request.user, reference=reference)
    actor = staff_user(request.user)
    if not form.is_valid():
        messages.error(request, invalid)
        return _detail_page(request, reference, **{form_name: form})
    try:
        action(complaint_id, actor, form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return _detail_page(request, reference, **{form_name: form})
    messages.success(request, done(form.cleaned_data))
    return redirect(reverse("dashboard:complaint", kwargs={"reference": reference}))


@require_POST
@staff_required
def complaint_reply(request: HttpRequest, reference: str) -> HttpResponse:
    return _perform(
        request,
        reference,
        form=StaffMessageForm(request.POST),
        form_name="reply_form",
        invalid=_("The reply is empty or too long."),
        action=lambda complaint, author, data: services.complaint_reply(
            complaint=complaint, author=author, body=data["body"]
        ),
        done=lambda data: _("Reply sent to the customer."),
    )


@require_POST
@staff_required
def complaint_note(request: HttpRequest, reference: str) -> HttpResponse:
    return _perform(
        request,
        reference,
        form=StaffMessageForm(request.POST),
        form_name="note_form",
        invalid=_("The note is empty or too long."),
        action=lambda complaint, author, data: services.complaint_note_add(
            complaint=complaint, author=author, body=data["body"]
        ),
        done=lambda data: _("Internal note added."),
    )


@require_POST
@staff_required
def complaint_assign_to_me(request: HttpRequest, reference: str) -> HttpResponse:
    return _perform(
        request,
        reference,
        form=forms.Form(request.POST),
        form_name="assign_form",
        invalid="",
        action=lambda complaint, me, data: services.complaint_assign(complaint=complaint, assignee=me, actor=me),
        done=lambda data: _("The complaint is yours."),
    )


@require_POST
@staff_required
def complaint_transition(request: HttpRequest, reference: str) -> HttpResponse:
    form = TransitionForm(request.POST)
    return _perform(
        request,
        reference,
        form=form,
        form_name="transition_form",
        invalid=form.refusal(),
        # The form's one outcome list is for resolving; declining always records "rejected with reasons".
        action=lambda complaint, actor, data: services.complaint_transition(
            complaint=complaint,
            action=data["action"],
            actor=actor,
            comment=data["comment"],
            outcome=data["outcome"] if data["action"] == Action.RESOLVE else "",
            root_cause=data["root_cause"],
            corrective_action=data["corrective_action"],
            customer_accepted=data["customer_accepted"],
        ),
        done=lambda data: _("Done: %(action)s.") % {"action": Action(data["action"]).label},
    )


@require_POST
@staff_required
def saved_filter_create(request: HttpRequest) -> HttpResponse:
    """Save the queue's current filter (sent as ``query``) under a name, then show the queue with it."""
    query = queue_query_string(QueryDict(request.POST.get("query", "")))
    try:
        saved_filter_save(user=staff_user(request.user), name=request.POST.get("name", ""), query=query)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Filter saved."))
    return redirect(f"{reverse('dashboard:queue')}?{query}" if query else reverse("dashboard:queue"))


@require_POST
@staff_required
def saved_filter_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of the signed-in user's saved filters; another user's is not found."""
    if not saved_filter_delete(user=staff_user(request.user), saved_filter_id=pk):
        raise Http404
    messages.success(request, _("Filter deleted."))
    return redirect(reverse("dashboard:queue"))


@require_POST
@staff_required
def complaint_bulk(request: HttpRequest) -> HttpResponse:
    """The queue's bulk bar: one operation on the ticked rows, then back to the queue as it was filtered, with
    what was done and what was refused (and why) in one message."""
    me = staff_user(request.user)
    back = _queue_return_url(request)
    form = QueueBulkForm(request.POST, assignees=selectors.staff_assignable_users(user=me))
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the selected complaints."))
        return redirect(back)
    data = form.cleaned_data
    try:
        result = services.complaint_bulk_apply(
            actor=me,
            references=request.POST.getlist("selected"),
            operation=data["operation"],
            assignee_id=data["assignee"],
            priority=data["priority"],
            action=data["action"],
            comment=data["comment"],
            outcome=data["outcome"] if data["action"] == Action.RESOLVE else "",
            root_cause=data["root_cause"],
            corrective_action=data["corrective_action"],
            customer_accepted=data["customer_accepted"],
        )
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect(back)
    if not result.refused:
        level = messages.SUCCESS
    elif result.done:
        level = messages.WARNING
    else:
        level = messages.ERROR
    messages.add_message(request, level, _bulk_summary(result))
    return redirect(back)


def _queue_return_url(request: HttpRequest) -> str:
    """The queue page the bulk bar was on (its filters and page), if ``next`` is a URL of this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("dashboard:queue")


def _bulk_summary(result: services.BulkResult) -> str:
    done, refused = result.done, result.refused
    done_text = ""
    if done:
        done_text = ngettext(
            "Done for %(count)d complaint: %(references)s",
            "Done for %(count)d complaints: %(references)s",
            len(done),
        ) % {"count": len(done), "references": ", ".join(outcome.reference for outcome in done)}
    if not refused:
        return done_text
    # Rows refused for the same reason are listed together: fifty "new" complaints make one line, not fifty.
    by_reason: dict[str, list[str]] = {}
    for outcome in refused:
        by_reason.setdefault(outcome.reason, []).append(outcome.reference)
    details = "; ".join(
        _("%(references)s: %(reason)s") % {"references": ", ".join(references), "reason": reason}
        for reason, references in by_reason.items()
    )
    values = {"count": len(refused), "details": details}
    if not done:
        return (
            ngettext(
                "Refused for %(count)d complaint: %(details)s",
                "Refused for %(count)d complaints: %(details)s",
                len(refused),
            )
            % values
        )
    refused_text = (
        ngettext(
            "refused for %(count)d complaint: %(details)s",
            "refused for %(count)d complaints: %(details)s",
            len(refused),
        )
        % values
    )
    return _("%(done)s; %(refused)s") % {"done": done_text, "refused": refused_text}


@require_POST
@staff_required
def complaint_change_field(request: HttpRequest, reference: str) -> HttpResponse:
    return _perform(
        request,
        reference,
        form=FieldChangeForm(request.POST),
        form_name="field_form",
        invalid=_("Choose the new value and say why."),
        action=lambda complaint, actor, data: services.complaint_change_field(
            complaint=complaint, actor=actor, field=data["field"], value=data["value"], reason=data["reason"]
        ),
        done=lambda data: _("Changed; the reason is on the timeline."),
    )
