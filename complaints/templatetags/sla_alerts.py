"""The complaint page's promise badge: the warnings and breaches still relevant to the complaint."""

from typing import Any

from django import template

from complaints.models import Complaint, SlaAlert
from complaints.selectors import complaint_sla_alerts_for_staff

register = template.Library()


@register.simple_tag(takes_context=True)
def complaint_sla_alerts(context: dict[str, Any], complaint: Complaint) -> list[SlaAlert]:
    """``{% complaint_sla_alerts complaint as alerts %}``: one query (``complaint_sla_alerts_for_staff``)."""
    return complaint_sla_alerts_for_staff(user=context["user"], complaint=complaint)
