"""The staff queue's hot spots, built in Python: its rows, and the select boxes of its filter and bulk bars.

In the template engine one queue row cost about 1 ms (a ``{% url %}``, three ``{% blocktranslate %}``, five
date filters, a dozen nested lookups) and each select box a template render per option, so 50 rows and the
two bars were most of the page's time. Here each translated phrase, label and URL is looked up once per page;
the markup is the template's, and every value is escaped.
"""

from collections.abc import Iterable
from datetime import datetime
from html import escape as html_escape
from typing import Any
from urllib.parse import quote

from django import forms, template
from django.forms import BoundField
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import gettext

from complaints.models import Category, Priority, Status
from complaints.selectors import QueueRow

register = template.Library()

_REFERENCE_PLACEHOLDER = "RC-0000-000000"


def escape(value: object) -> str:
    """Django's ``escape`` (the same five characters), without its lazy-string wrapper: called ~20 times a row."""
    return html_escape(str(value))


class _Phrase:
    """One of ``timesince``'s "%(num)d hours" phrases, translated once per number on this page."""

    def __init__(self, lazy: Any) -> None:
        self.lazy = lazy
        self.done: dict[int, str] = {}

    def __mod__(self, values: dict[str, int]) -> str:
        num = values["num"]
        text = self.done.get(num)
        if text is None:
            text = self.done[num] = str(self.lazy % values)
        return text


class _Page:
    """What every row shares, in the reader's language: labels, phrases and the complaint URL's shape."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.url = reverse("dashboard:complaint", kwargs={"reference": _REFERENCE_PLACEHOLDER})
        self.labels = {
            "category": {value: escape(label) for value, label in Category.choices},
            "priority": {value: escape(label) for value, label in Priority.choices},
            "status": {value: escape(label) for value, label in Status.choices},
        }
        self.select = gettext("Select %(reference)s")
        self.ago = gettext("%(ago)s ago")
        self.overdue = gettext("overdue by %(late)s")
        self.left = gettext("%(left)s left")
        self.unassigned = escape(gettext("Unassigned"))
        self.phrases = {name: _Phrase(phrase) for name, phrase in TIME_STRINGS.items()}

    def since(self, earlier: datetime, later: datetime, *, reverse_order: bool = False) -> str:
        """``timesince``/``timeuntil`` exactly, with this page's translated phrases."""
        return timesince(earlier, later, reversed=reverse_order, time_strings=self.phrases)  # type: ignore[arg-type]


def _iso(moment: datetime) -> str:
    """What ``|date:'c'`` prints: the ISO time in the current time zone."""
    return timezone.localtime(moment).isoformat()


def _row(page: _Page, row: QueueRow) -> str:
    complaint, sla = row.complaint, row.sla
    ref = escape(complaint.reference)
    link = escape(page.url.replace(_REFERENCE_PLACEHOLDER, quote(complaint.reference, safe="")))
    customer = complaint.customer
    assignee = complaint.assignee
    who = (
        escape(assignee.get_full_name() or assignee.get_username())
        if assignee is not None
        else f"<em>{page.unassigned}</em>"
    )
    received = f'<time datetime="{_iso(complaint.received_at)}">{page.since(complaint.received_at, page.now)}</time>'
    ago = escape(page.ago % {"ago": page.since(complaint.updated_at, page.now)})
    updated = f'<time datetime="{_iso(complaint.updated_at)}">{ago}</time>'
    if sla.due is not None and sla.state == "breached":
        late = escape(page.overdue % {"late": page.since(sla.due, page.now)})
        due = f'<time class="sla breached" data-sla="breached" datetime="{_iso(sla.due)}">{late}</time>'
    elif sla.due is not None and sla.state:
        left = escape(page.left % {"left": page.since(sla.due, page.now, reverse_order=True)})
        state = escape(sla.state)
        due = f'<time class="sla {state}" data-sla="{state}" datetime="{_iso(sla.due)}">{left}</time>'
    else:
        due = '<span class="sla none" data-sla="none">—</span>'
    return (
        f'<tr data-reference="{ref}">'
        f'<td><input type="checkbox" name="selected" value="{ref}" aria-label="'
        f'{escape(page.select % {"reference": complaint.reference})}"></td>'
        f'<td><a href="{link}">{ref}</a></td>'
        f"<td>{escape(customer.name)}<br><small>{escape(customer.email)}</small></td>"
        f"<td>{page.labels['category'].get(complaint.category, escape(complaint.category))}</td>"
        f'<td class="priority-{escape(complaint.priority)}">'
        f"{page.labels['priority'].get(complaint.priority, escape(complaint.priority))}</td>"
        f"<td>{page.labels['status'].get(complaint.status, escape(complaint.status))}</td>"
        f"<td>{who}</td><td>{received}</td><td>{updated}</td><td>{due}</td></tr>\n"
    )


@register.simple_tag
def queue_rows(rows: Iterable[QueueRow], now: datetime) -> SafeString:
    """The ``<tr>`` of each row (ticked box, reference link, customer, labels, ages and SLA countdown), or the
    quiet-day line when there are none."""
    page = _Page(now)
    html = "".join(_row(page, row) for row in rows)
    if not html:
        html = f'<tr><td colspan="10">{escape(gettext("No complaints here. Well done."))}</td></tr>'
    return mark_safe(html)  # built from escaped values above


def _attrs(attrs: dict[str, Any]) -> str:
    """Attributes as Django's ``attrs.html`` prints them: ``False`` left out, ``True`` as a bare name."""
    parts = []
    for name, value in attrs.items():
        if value is True:
            parts.append(f" {escape(name)}")
        elif value is not False and value is not None:
            parts.append(f' {escape(name)}="{escape(value)}"')
    return "".join(parts)


@register.simple_tag
def queue_field(field: BoundField) -> SafeString:
    """``{{ field.label_tag }} {{ field }}``, the label built here as Django's template builds it."""
    return mark_safe(f"{_label(field)} {queue_widget(field)}")  # both parts escaped


def _label(field: BoundField) -> str:
    label = str(field.label or "")
    contents = escape(label)
    suffix = field.field.label_suffix if field.field.label_suffix is not None else field.form.label_suffix
    if suffix and label and label[-1] not in gettext(":?.!"):
        contents += escape(suffix)
    attrs: dict[str, Any] = {}
    if field.id_for_label:
        attrs["for"] = field.id_for_label
    required_class = getattr(field.form, "required_css_class", None)
    if required_class and field.field.required:
        attrs["class"] = required_class
    return f"<label{_attrs(attrs)}>{contents}</label>"


def queue_widget(field: BoundField) -> SafeString:
    """A form field's widget. A plain ``<select>`` is built here from its choices (the same markup Django's
    templates give, without one template render per option); any other widget renders as usual."""
    widget = field.field.widget
    choices = getattr(field.field, "choices", None)
    if type(widget) is not forms.Select or choices is None:
        return field.as_widget()
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    value = field.value()
    wanted = "" if value is None else str(value)
    options = []
    selected = False
    for option_value, label in choices:
        if isinstance(label, (list, tuple)):  # option groups: leave them to Django
            return field.as_widget()
        key = "" if option_value is None else str(option_value)
        mark = ""
        if not selected and key == wanted:
            mark, selected = " selected", True
        options.append(f'<option value="{escape(key)}"{mark}>{escape(label)}</option>')
    html = f'<select name="{escape(field.html_name)}"{_attrs({**widget.attrs, **attrs})}>{"".join(options)}</select>'
    return mark_safe(html)  # built from escaped values above
