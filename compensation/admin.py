from django.contrib import admin

from compensation.models import CompensationOffer


@admin.register(CompensationOffer)
class CompensationOfferAdmin(admin.ModelAdmin[CompensationOffer]):
    list_display = ("complaint", "kind", "amount", "currency", "duration_days", "status", "created_at")
    list_filter = ("kind", "status", "currency")
    list_select_related = ("complaint",)
    raw_id_fields = ("complaint", "created_by")
    search_fields = ("complaint__reference",)
    show_full_result_count = False
