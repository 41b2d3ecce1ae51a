"""Reads for compensation offers."""

from django.db.models import QuerySet

from compensation.models import CompensationOffer
from complaints.models import Complaint


def offer_list_for_complaint(*, complaint: Complaint) -> QuerySet[CompensationOffer]:
    return CompensationOffer.objects.filter(complaint=complaint).order_by("created_at", "id")
