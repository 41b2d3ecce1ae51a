"""Reads for letters and received mail."""

from collections.abc import Sequence

from django.db.models import QuerySet

from notifications.models import InboundMail


def inbound_mail_list_for_staff(*, statuses: Sequence[str], limit: int = 100) -> QuerySet[InboundMail]:
    """Received mail in ``statuses``, newest first, for the staff list (the raw message is not loaded)."""
    return (
        InboundMail.objects.filter(status__in=list(statuses))
        .select_related("complaint")
        .defer("raw")
        .order_by("-received_at", "-id")[:limit]
    )
