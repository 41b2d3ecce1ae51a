"""Forms validate the shape of input; services decide what it means."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.models import OfferKind
from complaints.models import Category, DesiredResolution, Outcome, Priority, RootCause
from complaints.services.bulk import BulkOperation
from complaints.transitions import TRANSITIONS, Action
from customers.selectors import product_list

phone_validator = RegexValidator(
    r"^\+?[0-9 ()\-.]{5,40}$", _("Enter a phone number with digits, spaces, brackets or dashes, e.g. +7 912 345-67-89.")
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to five files in one input. Shape only: the attachments module checks types and sizes."""

    widget = MultipleFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp,application/pdf"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(AttachmentsField, self).clean(item, initial) for item in files]


def product_choices() -> list[tuple[str, Any]]:
    """The products on sale, by code, for the complaint form (evaluated per form, so the list stays current)."""
    return [
        ("", _("Not listed / something else")),
        *[(code, name) for _pk, code, name in product_list(on_sale_only=True)],
    ]


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
        help_text=_("With the email you used for the order, it lets us find your purchase straight away."),
    )
    product = forms.ChoiceField(label=_("Or choose the product or service"), required=False, choices=product_choices)
    category = forms.ChoiceField(label=_("What is it about?"), choices=[("", _("Choose one")), *Category.choices])
    outage_started_at = forms.DateTimeField(
        label=_("When did the outage start?"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
    )
    outage_ongoing = forms.ChoiceField(
        label=_("Is it still happening?"),
        required=False,
        choices=[("", _("Not sure")), ("yes", _("Yes, it is still not working")), ("no", _("No, it works again"))],
    )
    delivery_date = forms.DateField(
        label=_("When was it delivered, or due to be delivered?"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
    )
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
    attachments = AttachmentsField(
        label=_("Photos or documents (optional)"),
        help_text=_(
            "Up to 5 files, 10 MB each: photos (PNG, JPEG, GIF, WEBP) or PDF. For a faulty product, a photo helps."
        ),
    )
    consent = forms.BooleanField(
        label=_("I agree that my personal data is processed to handle this complaint."),
        error_messages={"required": _("We need your consent to handle the complaint.")},
    )
    # A field people do not see (hidden by CSS); bots fill it in.
    website = forms.CharField(required=False, label=_("Leave this field empty"))
    submission_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Please tell us your name."))
        return name

    def clean_description(self) -> str:
        return str(self.cleaned_data["description"]).strip()

    def clean_website(self) -> str:
        value: str = self.cleaned_data["website"]
        if value:
            raise forms.ValidationError(_("Please leave this field empty."))
        return value

    def clean_outage_started_at(self) -> datetime | None:
        started: datetime | None = self.cleaned_data["outage_started_at"]
        if started is not None and started > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError(_("The start of the outage cannot be in the future."))
        return started

    @property
    def details(self) -> dict[str, Any]:
        return {
            "outage_started_at": self.cleaned_data.get("outage_started_at"),
            "outage_ongoing": self.cleaned_data.get("outage_ongoing") or "",
            "delivery_date": self.cleaned_data.get("delivery_date"),
        }


class CustomerReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = AttachmentsField(label=_("Photos or documents (optional)"))


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How did we do?"),
        coerce=int,
        choices=[
            (5, _("5: excellent")),
            (4, _("4: good")),
            (3, _("3: fair")),
            (2, _("2: poor")),
            (1, _("1: very poor")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you would like to add? (optional)"),
        max_length=5_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still wrong?"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )


class LostLinkForm(forms.Form):
    email = forms.EmailField(label=_("The email you used for your complaint"), max_length=254)


class OfferDecisionForm(forms.Form):
    offer = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("decline", _("Decline"))])
    reason = forms.CharField(
        label=_("Why does this not put it right? (required to decline)"),
        max_length=5_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if data and data.get("decision") == "decline" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Please tell us why, so we can offer something better."))
        return data


class StaffMessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 6}))


def _yes_no(value: str) -> bool:
    return value == "yes"


# Closing the loop: the outcomes a resolution may have (declining is always "rejected with reasons").
RESOLVE_OUTCOME_CHOICES = [(o.value, o.label) for o in (Outcome.EXPLAINED, Outcome.NON_MONETARY, Outcome.MONETARY)]
CORRECTIVE_ACTION_MAX_LENGTH = 5_000


class TransitionForm(forms.Form):
    """The complaint page's "Change status" form. The closing fields are checked by the service, for the action
    that needs them: outcome, root cause and corrective action to resolve, root cause to decline, whether the
    customer accepted to close."""

    action = forms.ChoiceField(choices=Action.choices)
    comment = forms.CharField(
        label=_("Message to the customer"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", "—"), *RESOLVE_OUTCOME_CHOICES],
        required=False,
        help_text=_("Required to resolve: how the complaint was settled. Declining records “Rejected with reasons”."),
    )
    root_cause = forms.ChoiceField(
        label=_("Root cause"),
        choices=[("", "—"), *RootCause.choices],
        required=False,
        help_text=_("Required to resolve or decline: what went wrong, so that reports show what keeps going wrong."),
    )
    corrective_action = forms.CharField(
        label=_("Corrective action taken"),
        max_length=CORRECTIVE_ACTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Required to resolve: what was changed so that it does not happen again. "
            "For staff and reports only; the customer does not see it."
        ),
    )
    customer_accepted = forms.TypedChoiceField(
        label=_("Did the customer accept the outcome?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Required to close. If not, the customer gets a letter telling them how to appeal."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "transition-%s")
        super().__init__(*args, **kwargs)

    def refusal(self) -> str:
        """Why the form is invalid, for the message above the page: the first field error, the action first."""
        errors = self.errors
        if not errors or "action" in errors:
            return str(_("Choose an action."))
        name, messages = next(iter(errors.items()))
        label = self.fields[name].label if name in self.fields else None
        return f"{label}: {messages[0]}" if label else str(messages[0])


class StaffOfferForm(forms.Form):
    kind = forms.ChoiceField(label=_("Offer"), choices=OfferKind.choices)
    amount = forms.DecimalField(
        label=_("Amount"), required=False, min_value=Decimal("0.001"), max_digits=13, decimal_places=3
    )
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)
    duration_days = forms.IntegerField(label=_("Days of free service"), required=False, min_value=1, max_value=3660)
    reason = forms.CharField(
        label=_("What the offer is for (the customer reads this)"),
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OfferStepForm(forms.Form):
    """Approve, reject (with a reason), withdraw or fulfil (with a billing reference) an offer."""

    reason = forms.CharField(label=_("Why"), required=False, max_length=2_000)
    billing_reference = forms.CharField(label=_("Billing or shipping reference"), required=False, max_length=100)
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)


class QueueBulkForm(forms.Form):
    """The queue's bulk bar (the ticked rows come as ``selected``, read by the view). Only the shape: which
    fields an operation needs, and how many rows at most, is the service's business."""

    operation = forms.ChoiceField(label=_("With the selected"), choices=BulkOperation.choices)
    assignee = forms.TypedChoiceField(label=_("Agent"), coerce=int, empty_value=None, required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=[("", "—"), *Priority.choices], required=False)
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[("", "—"), *((a.value, a.label) for a in Action if TRANSITIONS[a].staff_action)],
        required=False,
    )
    comment = forms.CharField(
        label=_("Reason or message to the customer"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # Closing the loop, one set for all the selected complaints (the bar shows labels only, so they say when).
    outcome = forms.ChoiceField(
        label=_("Outcome (to resolve)"), choices=[("", "—"), *RESOLVE_OUTCOME_CHOICES], required=False
    )
    root_cause = forms.ChoiceField(
        label=_("Root cause (to resolve or decline)"), choices=[("", "—"), *RootCause.choices], required=False
    )
    corrective_action = forms.CharField(
        label=_("Corrective action taken (to resolve)"),
        max_length=CORRECTIVE_ACTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    customer_accepted = forms.TypedChoiceField(
        label=_("Did the customers accept the outcome? (to close)"),
        choices=[("", "—"), ("yes", _("Yes, they accepted")), ("no", _("No: send them how to appeal"))],
        coerce=_yes_no,
        empty_value=None,
        required=False,
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, assignees: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", "—"),
            *((str(u.pk), u.get_full_name() or u.get_username()) for u in assignees),
        ]


class FieldChangeForm(forms.Form):
    """Priority or category, changed with a reason the timeline keeps."""

    field = forms.ChoiceField(
        choices=[("priority", _("Priority")), ("category", _("Category"))], widget=forms.HiddenInput
    )
    value = forms.CharField(max_length=32)
    reason = forms.CharField(label=_("Why"), max_length=2_000)


class ImprovementRangeForm(forms.Form):
    """The dates of the "What keeps going wrong" page, from the query string (both optional: the last 30 days)."""

    DEFAULT_DAYS = 30
    EARLIEST = date(2000, 1, 1)
    LATEST = date(2100, 12, 31)

    date_from = forms.DateField(
        label=_("First day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
    )
    date_to = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
    )

    def _clean_date(self, name: str) -> date | None:
        value: date | None = self.cleaned_data.get(name)
        if value is not None and not self.EARLIEST <= value <= self.LATEST:
            raise forms.ValidationError(
                _("Choose a date between %(earliest)s and %(latest)s.")
                % {"earliest": self.EARLIEST.isoformat(), "latest": self.LATEST.isoformat()}
            )
        return value

    def clean_date_from(self) -> date | None:
        return self._clean_date("date_from")

    def clean_date_to(self) -> date | None:
        return self._clean_date("date_to")

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if data is None or self.errors:
            return data
        today = timezone.localdate()
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or date_to - timedelta(days=self.DEFAULT_DAYS - 1)
        if date_from > date_to:
            raise forms.ValidationError(_("The start date is after the end date."))
        data["date_from"], data["date_to"] = date_from, date_to
        return data

    @classmethod
    def default_range(cls) -> tuple[date, date]:
        """The last 30 days, today included."""
        today = timezone.localdate()
        return today - timedelta(days=cls.DEFAULT_DAYS - 1), today
