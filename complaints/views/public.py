"""The customer's pages: the complaint form, the private tracking page and "lost your link?". No login."""

import secrets
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from compensation.incidents.selectors import incident_given_to_customer
from compensation.selectors import offer_list_for_customer
from compensation.services import offer_decide
from complaints.forms import ComplaintForm, CustomerReplyForm, LostLinkForm, OfferDecisionForm, RatingForm, ReopenForm
from complaints.models import Complaint
from complaints.ratelimit import Limit, client_ip, rate_limit_exceeded
from complaints.selectors import complaint_get_by_token, complaint_merge_destination, complaint_merge_target_by_token
from complaints.services import (
    complaint_can_reopen,
    complaint_customer_reply,
    complaint_is_appeal,
    complaint_rate,
    complaint_reopen_by_customer,
    complaint_reopen_deadline,
    complaint_submit,
    customer_send_tracking_links,
)
from complaints.tokens import tracking_path, tracking_url
from config.exceptions import ApplicationError

HOUR = 3600


def _language() -> str:
    return (get_language() or "en").split("-")[0]


def _add_error(form: forms.Form, exc: ApplicationError) -> None:
    """A domain refusal shown on the field it concerns, or above the form."""
    field = exc.extra.get("field")
    form.add_error(field if field in form.fields else None, str(exc.message))


def _submission_limited(request: HttpRequest, email: str) -> bool:
    by_ip = rate_limit_exceeded(
        scope="complaint-ip", key=client_ip(request), limit=Limit(settings.COMPLAINT_LIMIT_PER_IP, HOUR)
    )
    by_email = rate_limit_exceeded(
        scope="complaint-email", key=email, limit=Limit(settings.COMPLAINT_LIMIT_PER_EMAIL, HOUR)
    )
    return by_ip or by_email


@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method != "POST":
        form = ComplaintForm(initial={"submission_token": secrets.token_urlsafe(24)})
        return render(request, "complaints/new.html", {"form": form})
    form = ComplaintForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        if _submission_limited(request, data["email"]):
            status = 429
            form.add_error(
                None,
                _(
                    "You have sent us several complaints in a short time. Please wait an hour and try again, "
                    "or write to us on the page of a complaint you already sent."
                ),
            )
        else:
            try:
                complaint = complaint_submit(
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                    order_number=data["order_number"],
                    product_code=data["product"],
                    category=data["category"],
                    description=data["description"],
                    desired_resolution=data["desired_resolution"],
                    details=form.details,
                    attachments=data["attachments"],
                    consent=data["consent"],
                    submission_token=data["submission_token"],
                    channel="web",
                    language=_language(),
                )
            except ApplicationError as exc:
                _add_error(form, exc)
            else:
                return redirect(f"{tracking_path(complaint)}?submitted=1")
    return render(request, "complaints/new.html", {"form": form}, status=status)


def _track_page(request: HttpRequest, complaint: Complaint, **bound_forms: forms.Form) -> HttpResponse:
    context: dict[str, Any] = {
        "complaint": complaint,
        "events": complaint.public_events,  # type: ignore[attr-defined]
        "offers": list(offer_list_for_customer(complaint=complaint)),
        "incident_given": incident_given_to_customer(
            incident_id=complaint.incident_id, customer_id=complaint.customer_id
        ),
        "submitted": request.GET.get("submitted") == "1",
        "tracking_url": tracking_url(complaint),
        "token": request.resolver_match.kwargs["token"] if request.resolver_match else "",
        "can_reopen": complaint_can_reopen(complaint),
        # Reopening a refusal, or an outcome the customer did not accept, is an appeal.
        "is_appeal": complaint_is_appeal(complaint),
        "reopen_deadline": complaint_reopen_deadline(complaint),
        "form": CustomerReplyForm(),
        "rating_form": RatingForm(),
        "reopen_form": ReopenForm(),
        "offer_form": OfferDecisionForm(),
        **_merged_context(complaint),
        **bound_forms,
    }
    return render(request, "complaints/track.html", context)


def _merged_context(complaint: Complaint) -> dict[str, Any]:
    """For a complaint merged into another (the same customer's): that one, and its tracking link."""
    if complaint.merged_into_id is None:
        return {"merged_into": None}
    target = complaint_merge_destination(complaint=complaint)
    return {"merged_into": target, "merged_into_url": tracking_url(target)}


@require_http_methods(["GET"])
def complaint_track(request: HttpRequest, token: str) -> HttpResponse:
    return _track_page(request, complaint_get_by_token(token=token))


def _track_action(
    request: HttpRequest,
    token: str,
    *,
    form: forms.Form,
    form_name: str,
    action: Callable[[Complaint, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Validate a tracking-page form, run the service, redirect back; a refusal re-renders what was typed."""
    complaint = complaint_get_by_token(token=token)
    if form.is_valid():
        try:
            action(complaint, form.cleaned_data)
        except ApplicationError as exc:
            if exc.extra.get("field") in form.fields:
                _add_error(form, exc)
            else:  # about the complaint, not a field: shown at the top, whichever form is on the page
                messages.error(request, str(exc.message))
        else:
            messages.success(request, done)
            return redirect(tracking_path(complaint))
    return _track_page(request, complaint, **{form_name: form})


@require_POST
def complaint_track_reply(request: HttpRequest, token: str) -> HttpResponse:
    target = complaint_merge_target_by_token(token=token)
    if target is not None:
        return _track_reply_merged(request, token, target)
    return _track_action(
        request,
        token,
        form=CustomerReplyForm(request.POST, request.FILES),
        form_name="form",
        action=lambda complaint, data: complaint_customer_reply(
            complaint=complaint, body=data["body"], attachments=data["attachments"]
        ),
        done=_("Thank you. Your message is on its way to the team."),
    )


def _track_reply_merged(request: HttpRequest, token: str, target: Complaint) -> HttpResponse:
    """A message written on a complaint merged into another goes to that one (the same customer's), and the
    customer is taken to its page; a refusal comes back on the page they wrote on, with what they typed."""
    form = CustomerReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            complaint_customer_reply(
                complaint=target, body=form.cleaned_data["body"], attachments=form.cleaned_data["attachments"]
            )
        except ApplicationError as exc:
            if exc.extra.get("field") in form.fields:
                _add_error(form, exc)
            else:
                messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("Thank you. Your complaint was merged into %(reference)s, so we added your message there.")
                % {"reference": target.reference},
            )
            return redirect(tracking_path(target))
    return _track_page(request, complaint_get_by_token(token=token), form=form)


@require_POST
def complaint_track_rate(request: HttpRequest, token: str) -> HttpResponse:
    return _track_action(
        request,
        token,
        form=RatingForm(request.POST),
        form_name="rating_form",
        action=lambda complaint, data: complaint_rate(
            complaint=complaint, rating=data["rating"], comment=data["comment"]
        ),
        done=_("Thank you for your rating. It helps us do better."),
    )


@require_POST
def complaint_track_reopen(request: HttpRequest, token: str) -> HttpResponse:
    return _track_action(
        request,
        token,
        form=ReopenForm(request.POST),
        form_name="reopen_form",
        action=lambda complaint, data: complaint_reopen_by_customer(complaint=complaint, reason=data["reason"]),
        done=_("We are sorry it is not put right yet. Your complaint is open again and we are on it."),
    )


@require_POST
def complaint_track_offer(request: HttpRequest, token: str) -> HttpResponse:
    return _track_action(
        request,
        token,
        form=OfferDecisionForm(request.POST),
        form_name="offer_form",
        action=lambda complaint, data: offer_decide(
            complaint=complaint,
            offer_id=data["offer"],
            accept=data["decision"] == "accept",
            reason=data["reason"],
        ),
        done=_("Thank you. We have recorded your answer and told the team."),
    )


@require_http_methods(["GET", "POST"])
def lost_link(request: HttpRequest) -> HttpResponse:
    """Send the links to the customer's complaints by letter. The answer never tells whether the email is known."""
    form = LostLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        limit = Limit(settings.LOST_LINK_LIMIT, HOUR)
        if rate_limit_exceeded(scope="lost-ip", key=client_ip(request), limit=limit) or rate_limit_exceeded(
            scope="lost-email", key=email, limit=limit
        ):
            form.add_error(None, _("You have asked several times in a short time. Please wait an hour and try again."))
            return render(request, "complaints/lost_link.html", {"form": form}, status=429)
        customer_send_tracking_links(email=email)
        return render(request, "complaints/lost_link.html", {"form": LostLinkForm(), "sent_to": email})
    return render(request, "complaints/lost_link.html", {"form": form})
