from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.incidents import services as incident_services
from compensation.incidents.forms import incident_fields
from compensation.models import ApprovalLimit, CompensationOffer, CompensationRule, Incident
from complaints.permissions import staff_user


@admin.register(CompensationOffer)
class CompensationOfferAdmin(admin.ModelAdmin[CompensationOffer]):
    list_display = ("complaint", "kind", "amount", "currency", "duration_days", "status", "created_at")
    list_filter = ("kind", "status", "currency")
    list_select_related = ("complaint",)
    raw_id_fields = ("complaint", "created_by", "approved_by", "fulfilled_by")
    # Statuses change only through the lifecycle (compensation.services), never by editing a row here.
    readonly_fields = ("status", "voucher_code", "suggestion_basis")
    search_fields = ("complaint__reference",)
    show_full_result_count = False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin[Incident]):
    list_display = ("title", "severity", "status", "started_at", "ended_at", "ongoing")
    list_filter = ("severity", "status")
    search_fields = ("title",)
    date_hierarchy = "started_at"
    filter_horizontal = ("products",)
    # The status follows the end time, set by the services.
    readonly_fields = ("created_by", "status", "created_at")

    @admin.display(boolean=True, description=_("ongoing"))
    def ongoing(self, obj: Incident) -> bool:
        return obj.is_ongoing

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        """Declared and changed through the same services as on the dashboard: whoever does it is recorded, the
        timeline says what changed, the status follows the end time, and once customers were apologised to a
        longer window credits them the difference."""
        fields = incident_fields(form.cleaned_data)
        actor = staff_user(request.user)
        if change:
            saved = incident_services.incident_update(incident=obj.pk, actor=actor, **fields)
        else:
            saved = incident_services.incident_declare(actor=actor, **fields)
        obj.pk, obj.status, obj.created_by = saved.pk, saved.status, saved.created_by

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The products were set by the service in save_model; only inlines (none today) are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(CompensationRule)
class CompensationRuleAdmin(admin.ModelAdmin[CompensationRule]):
    list_display = ("name", "product_kind", "category", "priority", "product", "remedy_type", "is_active")
    list_filter = ("is_active", "product_kind", "remedy_type", "category", "priority")
    list_select_related = ("product",)
    search_fields = ("name", "product__name", "product__code")
    autocomplete_fields = ("product",)
    fieldsets = (
        (None, {"fields": ("name", "is_active")}),
        (_("Applies to"), {"fields": ("product_kind", "category", "priority", "product")}),
        (_("Remedy"), {"fields": ("remedy_type",)}),
        (_("Service credit"), {"fields": ("multiplier", "minimum", "tiers")}),
        (_("Free period"), {"fields": ("free_days",)}),
        (_("Goods"), {"fields": ("return_window_days", "defect_remedy", "partial_refund_share")}),
        (_("Voucher"), {"fields": ("voucher_amount", "voucher_percent", "voucher_expiry_days")}),
    )

    def save_model(self, request: HttpRequest, obj: CompensationRule, form: Any, change: bool) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(ApprovalLimit)
class ApprovalLimitAdmin(admin.ModelAdmin[ApprovalLimit]):
    list_display = ("group", "currency", "max_amount", "max_free_days")
    list_filter = ("group", "currency")
    list_select_related = ("group",)
