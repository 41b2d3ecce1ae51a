"""The header's duty switch: whether the signed-in staff member is on duty."""

from typing import Any

from django import template

from complaints.selectors import agent_on_duty

register = template.Library()


@register.simple_tag(takes_context=True)
def on_duty(context: dict[str, Any]) -> bool:
    """``{% on_duty as flag %}``: one small query, only where the switch is shown."""
    user = context.get("user")
    return user is not None and agent_on_duty(user=user)
