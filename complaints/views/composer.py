"""The reply composer on the staff complaint page: canned responses and the apology check.

Progressive enhancement: without JavaScript, ``?canned=<id>`` on the complaint page starts the reply from a
canned response and the check runs when the reply is sent; with JavaScript the same two things come from the
small JSON endpoints here, while the agent types.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from complaints.apology import ApologyHint, apology_check, detect_language
from complaints.canned import canned_get, canned_render
from complaints.forms import StaffMessageForm
from complaints.permissions import staff_user
from complaints.selectors import complaint_get_for_handler
from complaints.views import staff
from complaints.views.access import staff_required

# What the check reads of a reply: the reply form's own limit.
CHECK_MAX_CHARS = 10_000


def _hints_json(hints: list[ApologyHint]) -> list[dict[str, str]]:
    return [{"code": hint.code, "message": str(hint.message), "phrase": hint.phrase} for hint in hints]


@require_GET
@staff_required
def complaint_canned(request: HttpRequest, reference: str, canned_id: int) -> JsonResponse:
    """A canned response filled in for this complaint, for the composer to insert."""
    complaint = complaint_get_for_handler(user=request.user, reference=reference)
    canned = canned_get(canned_id=canned_id)
    if canned is None:
        raise Http404
    text = canned_render(canned=canned, complaint=complaint, agent=staff_user(request.user))
    return JsonResponse({"id": canned.pk, "title": canned.title, "language": canned.language, "text": text})


@require_POST
@staff_required
def complaint_apology_check(request: HttpRequest, reference: str) -> JsonResponse:
    """The apology check's hints on a draft reply (form field ``body``). Advice only: nothing is saved."""
    complaint = complaint_get_for_handler(user=request.user, reference=reference)
    text = request.POST.get("body", "")[:CHECK_MAX_CHARS]
    hints = apology_check(text, language=complaint.language)
    return JsonResponse({"language": detect_language(text, default=complaint.language), "hints": _hints_json(hints)})


@require_POST
@staff_required
def complaint_reply_checked(request: HttpRequest, reference: str) -> HttpResponse:
    """The reply form's action: the plain reply, after a second look when the apology check has advice.

    A reply with hints is held back (the page comes back with the text and the hints) until the agent ticks
    "Send anyway" (``confirm_send``); a reply without hints, or an empty or over-long one (the reply view explains
    those), goes straight on to ``staff.complaint_reply``.
    """
    complaint = complaint_get_for_handler(user=request.user, reference=reference)
    form = StaffMessageForm(request.POST)
    if form.is_valid() and not request.POST.get("confirm_send"):
        hints = apology_check(form.cleaned_data["body"], language=complaint.language)
        if hints:
            messages.warning(
                request,
                _("Not sent yet: have a look at the advice beside the reply. Tick “Send anyway” to send it as it is."),
            )
            return staff._detail_page(request, reference, hints, reply_form=form)
    return staff.complaint_reply(request, reference)
