"""Forms for the incident pages: they check the shape of what was typed; the services decide."""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from compensation.models import IncidentSeverity
from customers.models import Product


def _moment(label: Any, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
    )


def _product_choices() -> list[tuple[int, str]]:
    return list(Product.objects.order_by("name").values_list("pk", "name"))


class IncidentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    public_description = forms.CharField(label=_("What happened, as customers read it"), widget=forms.Textarea)
    products = forms.TypedMultipleChoiceField(label=_("Affected products"), coerce=int, choices=_product_choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=IncidentSeverity.choices, initial=IncidentSeverity.MAJOR)
    started_at = _moment(_("Started"))
    ended_at = _moment(_("Ended (empty: still going on)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["products"].widget.attrs["size"] = 6


def incident_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """What ``incident_declare`` and ``incident_update`` take from a valid form: the dashboard's (product ids), the
    admin's (products) or the API's."""
    return {
        "title": data["title"],
        "public_description": data["public_description"],
        "product_ids": [product if isinstance(product, int) else product.pk for product in data["products"]],
        "severity": data["severity"],
        "started_at": data["started_at"],
        "ended_at": data.get("ended_at"),
    }


class CompensateForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I confirm: write to every affected customer and credit them now."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
