from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from notifications.models import InboundMail, Letter, LetterStatus
from notifications.services import letter_resend


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
