"""Labels for the closing-the-loop codes kept in timeline events' data (outcome, root cause)."""

from django import template

from complaints.models import Outcome, RootCause

register = template.Library()


@register.filter
def outcome_label(value: str) -> str:
    """The outcome's name in the reader's language; an unknown code as it is."""
    return str(Outcome(value).label) if value in Outcome.values else value


@register.filter
def root_cause_label(value: str) -> str:
    """The root cause's name in the reader's language; an unknown code as it is."""
    return str(RootCause(value).label) if value in RootCause.values else value
