"""Forms validate the shape of input; services decide what it means."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, DesiredResolution
from complaints.transitions import Action

phone_validator = RegexValidator(
    r"^\+?[0-9 ()\-.]{5,40}$", _("Enter a phone number with digits, spaces, brackets or dashes, e.g. +7 912 345-67-89.")
)


class ComplaintForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(
        label=_("Email"), max_length=254, help_text=_("We send the acknowledgement and our replies here.")
    )
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False, validators=[phone_validator])
    order_number = forms.CharField(
        label=_("Order or contract number (optional)"),
        max_length=64,
        required=False,
        help_text=_("It helps us find your purchase straight away."),
    )
    category = forms.ChoiceField(label=_("What is it about?"), choices=[("", _("Choose one")), *Category.choices])
    description = forms.CharField(
        label=_("What happened?"),
        min_length=10,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Tell us in your own words: what went wrong, and when."),
    )
    desired_resolution = forms.ChoiceField(
        label=_("What would put this right for you?"),
        choices=[("", _("Let us suggest a remedy")), *DesiredResolution.choices],
        required=False,
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Please tell us your name."))
        return name

    def clean_description(self) -> str:
        return str(self.cleaned_data["description"]).strip()


class CustomerReplyForm(forms.Form):
    body = forms.CharField(label=_("Your message"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 5}))


class StaffMessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 6}))


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=Action.choices)
    comment = forms.CharField(
        label=_("Message to the customer"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
