from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.models import ApprovalLimit, CompensationOffer, CompensationRule, Incident, IncidentStatus


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
    # The status follows the end time (the dashboard's incident pages change both through the services).
    readonly_fields = ("created_by", "status")

    @admin.display(boolean=True, description=_("ongoing"))
    def ongoing(self, obj: Incident) -> bool:
        return obj.is_ongoing

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        # Whoever declares the incident here is recorded as having declared it.
        if not change and request.user.is_authenticated:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        status = IncidentStatus.RESOLVED if obj.ended_at is not None else IncidentStatus.ONGOING
        Incident.objects.filter(pk=obj.pk).exclude(status=status).update(status=status)


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
