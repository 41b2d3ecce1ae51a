"""Staff pages about mail: received letters no complaint took (unmatched) and those set aside (ignored); and the
staff leads' operations page (the outbox, failed letters with a resend button, heartbeats) and health page (the
daily promise checks)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from complaints.permissions import staff_user
from complaints.views.access import leads_required, staff_required
from notifications import services
from notifications.models import InboundMailStatus, Letter, LetterStatus
from notifications.selectors import inbound_mail_list_for_staff, operations_overview, sla_health

INBOUND_LIST_LIMIT = 100
_LISTED = (InboundMailStatus.UNMATCHED, InboundMailStatus.IGNORED)


@require_GET
@staff_required
def inbound_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in _LISTED:
        status = ""
    mails = inbound_mail_list_for_staff(statuses=[status] if status else _LISTED, limit=INBOUND_LIST_LIMIT)
    context = {
        "mails": mails,
        "status": status,
        "statuses": [(value, value.label) for value in _LISTED],
        "limit": INBOUND_LIST_LIMIT,
    }
    return render(request, "notifications/inbound_list.html", context)


# The operations page reloads itself (a Refresh header: no script needed) so a stopped beat shows up.
OPERATIONS_REFRESH_SECONDS = 30


@require_GET
@leads_required
def operations(request: HttpRequest) -> HttpResponse:
    overview = operations_overview(user=staff_user(request.user), now=timezone.now())
    response = render(
        request,
        "dashboard/operations.html",
        {"overview": overview, "refresh_seconds": OPERATIONS_REFRESH_SECONDS},
    )
    response["Refresh"] = str(OPERATIONS_REFRESH_SECONDS)
    return response


@require_POST
@leads_required
def letter_resend(request: HttpRequest, letter_id: int) -> HttpResponse:
    status = Letter.objects.filter(pk=letter_id).values_list("status", flat=True).first()
    if status is None:
        raise Http404
    if status != LetterStatus.FAILED:
        messages.warning(request, _("This letter is no longer failed: it was already queued again or sent."))
        return redirect("notifications:operations")
    letter = services.letter_resend(letter_id=letter_id)
    messages.success(
        request,
        _("The letter to %(recipient)s is queued again and will be sent shortly.") % {"recipient": letter.recipient},
    )
    return redirect("notifications:operations")


@require_POST
@leads_required
def letters_resend_failed(request: HttpRequest) -> HttpResponse:
    count = services.letters_resend_failed()
    if count:
        messages.success(
            request,
            ngettext("%(count)d failed letter is queued again.", "%(count)d failed letters are queued again.", count)
            % {"count": count},
        )
    else:
        messages.info(request, _("There are no failed letters to resend."))
    return redirect("notifications:operations")


@require_GET
@leads_required
def health(request: HttpRequest) -> HttpResponse:
    report = sla_health(user=staff_user(request.user), now=timezone.now())
    return render(request, "dashboard/health.html", {"health": report})
