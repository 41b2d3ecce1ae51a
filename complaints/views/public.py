"""The customer's pages: the complaint form and the private tracking page. No login."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from complaints.forms import ComplaintForm, CustomerReplyForm
from complaints.selectors import complaint_get_by_token
from complaints.services import complaint_customer_reply, complaint_submit
from complaints.tokens import tracking_path, tracking_url
from config.exceptions import ApplicationError


def _language() -> str:
    return (get_language() or "en").split("-")[0]


@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = complaint_submit(**form.cleaned_data, channel="web", language=_language())
        except ApplicationError as exc:
            form.add_error(None, str(exc.message))
        else:
            return redirect(f"{tracking_path(complaint)}?submitted=1")
    return render(request, "complaints/new.html", {"form": form})


@require_http_methods(["GET", "POST"])
def complaint_track(request: HttpRequest, token: str) -> HttpResponse:
    complaint = complaint_get_by_token(token=token)
    form = CustomerReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint_customer_reply(complaint=complaint, body=form.cleaned_data["body"])
        except ApplicationError as exc:
            form.add_error("body", str(exc.message))
        else:
            messages.success(request, _("Thank you. Your message is on its way to the team."))
            return redirect(tracking_path(complaint))
    context = {
        "complaint": complaint,
        "events": complaint.public_events,  # type: ignore[attr-defined]
        "form": form,
        "submitted": request.GET.get("submitted") == "1",
        "tracking_url": tracking_url(complaint),
    }
    return render(request, "complaints/track.html", context)
