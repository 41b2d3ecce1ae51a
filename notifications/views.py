"""Staff pages about mail: received letters no complaint took (unmatched) and those set aside (ignored)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from complaints.views.staff import staff_required
from notifications.models import InboundMailStatus
from notifications.selectors import inbound_mail_list_for_staff

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
