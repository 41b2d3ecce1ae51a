"""Timeline entries written on behalf of other apps (letters), without those apps touching complaint rows."""

from datetime import datetime

from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent
from complaints.sla import elapsed_fields


def letter_delivered(*, complaint_id: int, letter_id: int, kind: str, recipient: str, sent_at: datetime) -> None:
    """Record a delivered letter; the first acknowledgement letter also marks the complaint acknowledged."""
    ComplaintEvent.objects.create(
        complaint_id=complaint_id,
        kind=ComplaintEvent.Kind.LETTER_SENT,
        data={"letter_id": letter_id, "letter_kind": kind, "recipient": recipient},
        created_at=sent_at,
    )
    if kind == "acknowledgement":
        unacknowledged = Complaint.objects.filter(pk=complaint_id, acknowledged_at__isnull=True)
        found = unacknowledged.values_list("received_at", "sla_policy__calendar_id").first()
        if found is not None:
            received_at, calendar_id = found
            elapsed = elapsed_fields(
                received_at=received_at, calendar_id=calendar_id, steps={"acknowledgement": sent_at}
            )
            unacknowledged.update(acknowledged_at=sent_at, **elapsed)


def letter_failed(*, complaint_id: int, letter_id: int, kind: str, error: str) -> None:
    ComplaintEvent.objects.create(
        complaint_id=complaint_id,
        kind=ComplaintEvent.Kind.LETTER_FAILED,
        data={"letter_id": letter_id, "letter_kind": kind, "error": error[:500]},
        created_at=timezone.now(),
    )
