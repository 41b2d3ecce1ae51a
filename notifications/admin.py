import logging
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from complaints.permissions import staff_user
from notifications.letter_templates import (
    ALLOWED_FILTERS,
    builtin_letter,
    placeholders_for,
    render_letter_template,
    sample_context,
    validate_letter_template,
)
from notifications.models import (
    SUBSCRIBABLE_EVENTS,
    InboundMail,
    Letter,
    LetterKind,
    LetterStatus,
    LetterTemplate,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookSubscriber,
)
from notifications.services import letter_resend
from notifications.webhooks.permissions import can_manage_webhooks
from notifications.webhooks.services import (
    SECRET_MIN_LENGTH,
    webhook_redeliver,
    webhook_subscriber_create,
    webhook_subscriber_delete,
    webhook_subscriber_update,
    webhook_test_ping,
)
from notifications.webhooks.transport import webhook_secret_new

logger = logging.getLogger(__name__)


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin[Letter]):
    list_display = ("created_at", "kind", "recipient", "language", "status", "attempts", "sent_at")
    list_filter = ("status", "kind", "language")
    list_select_related = ("complaint",)
    search_fields = ("recipient", "subject", "complaint__reference", "idempotency_key")
    raw_id_fields = ("complaint",)
    readonly_fields = ("idempotency_key", "message_id", "attempts", "last_error", "sent_at", "status")
    actions = ("resend",)
    show_full_result_count = False

    @admin.action(description=_("Send the selected failed letters again"))
    def resend(self, request: HttpRequest, queryset: QuerySet[Letter]) -> None:
        for letter_id in queryset.filter(status=LetterStatus.FAILED).values_list("pk", flat=True):
            letter_resend(letter_id=letter_id)


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin[InboundMail]):
    list_display = ("received_at", "sender", "subject", "status", "complaint")
    list_filter = ("status",)
    list_select_related = ("complaint",)
    search_fields = ("sender", "subject", "message_id")
    raw_id_fields = ("complaint",)
    exclude = ("raw",)
    readonly_fields = ("message_id", "sender", "subject", "body_text", "status", "reason", "received_at")
    show_full_result_count = False


class LetterTemplateForm(forms.ModelForm[LetterTemplate]):
    class Meta:
        model = LetterTemplate
        fields = ("kind", "language", "is_active", "subject", "body_text", "body_html")
        help_texts = {
            "body_text": _(
                'Use the placeholders listed below as {{ name }}, filters such as {{ name|date:"j F Y" }}, '
                "and {% if %} … {% endif %}, {% for %} … {% endfor %}. Nothing else is allowed."
            ),
            "body_html": _(
                "Only the body of the letter; it is put into the usual letter layout. Leave empty to make it "
                "from the text."
            ),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind:
            errors = validate_letter_template(
                kind=kind,
                subject=cleaned.get("subject") or "",
                body_text=cleaned.get("body_text") or "",
                body_html=cleaned.get("body_html") or "",
            )
            for field, messages in errors.items():
                for message in messages:
                    self.add_error(field, message)
        return cleaned


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin[LetterTemplate]):
    form = LetterTemplateForm
    list_display = ("kind", "language", "is_active", "updated_at")
    list_filter = ("kind", "language", "is_active")
    search_fields = ("subject", "body_text")
    readonly_fields = ("updated_at", "placeholders", "preview")
    fieldsets = (
        (None, {"fields": ("kind", "language", "is_active", "updated_at")}),
        (_("Wording"), {"fields": ("subject", "body_text", "body_html")}),
        (_("Placeholders"), {"fields": ("placeholders",)}),
        (_("Preview"), {"fields": ("preview",)}),
    )

    def save_model(self, request: HttpRequest, obj: LetterTemplate, form: Any, change: bool) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        kind, language = request.GET.get("kind", ""), request.GET.get("language", "")
        if request.GET.get("builtin") and kind in LetterKind.values and language in ("en", "ru"):
            try:
                initial["subject"], initial["body_text"] = builtin_letter(kind=kind, language=language)
            except Exception:  # a nicety: without it the admin types the letter from scratch
                logger.warning("could not pre-fill the %s letter template from its file", kind, exc_info=True)
        return initial

    @admin.display(description=_("Placeholders you can use"))
    def placeholders(self, obj: LetterTemplate | None) -> str:
        kinds = [obj.kind] if obj is not None and obj.pk else list(LetterKind.values)
        parts = []
        for kind in kinds:
            rows = format_html_join(
                "",
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                (
                    (
                        "{{ " + p.name + " }}",
                        f"{p.description} ({_('each item has')}: {', '.join(p.items)})" if p.items else p.description,
                    )
                    for p in placeholders_for(kind)
                ),
            )
            start = format_html(
                '{}: <a href="?kind={}&amp;language=en&amp;builtin=1">en</a> · '
                '<a href="?kind={}&amp;language=ru&amp;builtin=1">ru</a>',
                _("Start from the built-in text"),
                kind,
                kind,
            )
            table = format_html('<table class="letter-placeholders"><tbody>{}</tbody></table>', rows)
            if len(kinds) == 1:
                parts.append(table)
            else:
                parts.append(
                    format_html(
                        "<details><summary>{}</summary>{}<p>{}</p></details>", LetterKind(kind).label, table, start
                    )
                )
        filters = format_html("<p>{} {}</p>", _("Filters you can use:"), ", ".join(sorted(ALLOWED_FILTERS)))
        return format_html("{}{}", format_html_join("", "{}", ((part,) for part in parts)), filters)

    @admin.display(description=_("Preview with sample data"))
    def preview(self, obj: LetterTemplate | None) -> str:
        if obj is None or not obj.pk:
            return str(_("Save the template to see a preview."))
        try:
            subject, text, html = render_letter_template(
                obj, context=sample_context(kind=obj.kind, language=obj.language), language=obj.language
            )
        except ValidationError as exc:
            return format_html(
                '<ul class="errorlist">{}</ul>', format_html_join("", "<li>{}</li>", ((m,) for m in exc.messages))
            )
        return format_html(
            '<div class="letter-preview"><p><strong>{}</strong> {}</p>'
            '<pre style="white-space:pre-wrap;max-width:640px">{}</pre>'
            '<iframe sandbox="" srcdoc="{}" title="{}" style="width:100%;max-width:720px;height:480px;'
            'border:1px solid #ccc;background:#fff"></iframe></div>',
            _("Subject:"),
            # Rendered templates come back marked safe; here they are text to show, so escape them all.
            escape(subject),
            escape(text),
            escape(html),
            _("The letter as HTML"),
        )


# --- Webhooks -------------------------------------------------------------------------------------------------


class _ManagersOnly:
    """Webhooks are for managers (the ``manage_webhooks`` permission), whatever the model permissions say."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_manage_webhooks(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_webhooks(request.user)


class WebhookSubscriberForm(forms.ModelForm[WebhookSubscriber]):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where the events are POSTed: an http:// or https:// address."),
    )
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=[(event.value, event.label) for event in SUBSCRIBABLE_EVENTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The events to send; none chosen means all of them."),
    )
    chosen_secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        strip=False,
        min_length=SECRET_MIN_LENGTH,
        max_length=128,
        help_text=_("Leave empty to have one made. It is shown once, after saving."),
    )
    new_secret = forms.BooleanField(
        label=_("Make a new signing secret"),
        required=False,
        help_text=_(
            "Give the receiver the new one: it is shown once, after saving, and signs every attempt from then on."
        ),
    )

    class Meta:
        model = WebhookSubscriber
        fields = ("name", "url", "events", "is_active")


@admin.register(WebhookSubscriber)
class WebhookSubscriberAdmin(_ManagersOnly, admin.ModelAdmin[WebhookSubscriber]):
    form = WebhookSubscriberForm
    list_display = ("name", "url", "event_list", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    actions = ("send_test_ping",)

    def get_fieldsets(self, request: HttpRequest, obj: WebhookSubscriber | None = None) -> Any:
        if obj is None:
            return ((None, {"fields": ("name", "url", "events", "is_active", "chosen_secret")}),)
        return ((None, {"fields": ("name", "url", "events", "is_active", "masked_secret", "new_secret")}),)

    def get_readonly_fields(self, request: HttpRequest, obj: WebhookSubscriber | None = None) -> Any:
        return ("masked_secret",) if obj is not None else ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_manage_webhooks(request.user)

    def has_change_permission(self, request: HttpRequest, obj: WebhookSubscriber | None = None) -> bool:
        return can_manage_webhooks(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: WebhookSubscriber | None = None) -> bool:
        return can_manage_webhooks(request.user)

    @admin.display(description=_("events"))
    def event_list(self, obj: WebhookSubscriber) -> str:
        return ", ".join(obj.events) if obj.events else str(_("all"))

    @admin.display(description=_("signing secret"))
    def masked_secret(self, obj: WebhookSubscriber) -> str:
        return "••••••••" + obj.secret[-4:]

    def save_model(self, request: HttpRequest, obj: WebhookSubscriber, form: Any, change: bool) -> None:
        actor = staff_user(request.user)
        if change:
            secret = webhook_secret_new() if form.cleaned_data.get("new_secret") else None
            webhook_subscriber_update(
                subscriber=obj,
                actor=actor,
                name=obj.name,
                url=obj.url,
                events=obj.events,
                is_active=obj.is_active,
                secret=secret,
            )
        else:
            created = webhook_subscriber_create(
                actor=actor,
                name=obj.name,
                url=obj.url,
                events=obj.events,
                is_active=obj.is_active,
                secret=form.cleaned_data.get("chosen_secret") or "",
            )
            obj.pk, obj.secret, obj.created_at = created.pk, created.secret, created.created_at
            secret = created.secret
        if secret:
            messages.warning(
                request,
                _("The signing secret of “%(name)s” (shown only now; give it to the receiver): %(secret)s")
                % {"name": obj.name, "secret": secret},
            )

    def delete_model(self, request: HttpRequest, obj: WebhookSubscriber) -> None:
        webhook_subscriber_delete(subscriber=obj, actor=staff_user(request.user))

    @admin.action(description=_("Send a test ping to the selected subscribers"))
    def send_test_ping(self, request: HttpRequest, queryset: QuerySet[WebhookSubscriber]) -> None:
        for subscriber in queryset:
            webhook_test_ping(subscriber=subscriber, actor=staff_user(request.user))
        messages.success(request, _("Test pings are on their way; see the delivery log."))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ManagersOnly, admin.ModelAdmin[WebhookDelivery]):
    list_display = (
        "created_at",
        "event_type",
        "subscriber",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type", "subscriber")
    list_select_related = ("subscriber",)
    search_fields = ("event_id",)
    actions = ("retry_now",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False

    @admin.action(description=_("Retry the selected deliveries now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        actor = staff_user(request.user)
        retried = 0
        for delivery_id in queryset.exclude(status=WebhookDeliveryStatus.DELIVERED).values_list("pk", flat=True):
            webhook_redeliver(delivery_id=delivery_id, actor=actor)
            retried += 1
        message = ngettext(
            "%(count)s delivery will be tried again now.", "%(count)s deliveries will be tried again now.", retried
        )
        messages.success(request, message % {"count": retried})
