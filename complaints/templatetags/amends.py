"""Template filters for people-friendly times."""

from datetime import datetime, timedelta

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def promise(moment: datetime | None) -> str:
    """A promised time in plain words: "today at 14:00", "tomorrow at 09:30", or "on 27 November at 18:00"."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    today = timezone.localdate()
    clock = date_filter(local, "H:i")
    if local.date() == today:
        return _("today at %(time)s") % {"time": clock}
    if local.date() == today + timedelta(days=1):
        return _("tomorrow at %(time)s") % {"time": clock}
    return _("on %(date)s at %(time)s") % {"date": date_filter(local, "j E"), "time": clock}
