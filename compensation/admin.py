from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from compensation.models import CompensationOffer, Incident, IncidentStatus


@admin.register(CompensationOffer)
class CompensationOfferAdmin(admin.ModelAdmin[CompensationOffer]):
    list_display = ("complaint", "kind", "amount", "currency", "duration_days", "status", "created_at")
    list_filter = ("kind", "status", "currency")
    list_select_related = ("complaint",)
    raw_id_fields = ("complaint", "created_by")
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
