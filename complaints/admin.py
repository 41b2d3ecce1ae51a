"""Admin for complaints. Status is read-only here: it changes only through the state machine."""

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    AgentDuty,
    Attachment,
    BusinessCalendar,
    CannedResponse,
    Complaint,
    ComplaintEvent,
    Holiday,
    ReferenceCounter,
    SavedFilter,
    SlaPolicy,
    Team,
    TeamMember,
)


class ComplaintEventInline(admin.TabularInline[ComplaintEvent, Complaint]):
    model = ComplaintEvent
    extra = 0
    fields = ("created_at", "kind", "is_public", "author", "by_customer", "from_status", "to_status", "body")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin[Complaint]):
    list_display = ("reference", "customer", "category", "priority", "status", "assignee", "received_at")
    list_filter = ("status", "priority", "category", "channel")
    list_select_related = ("customer", "assignee")
    search_fields = ("reference", "customer__email", "customer__name")
    raw_id_fields = ("customer", "purchase", "product", "assignee")
    readonly_fields = (
        "reference",
        "public_id",
        "status",
        "received_at",
        "acknowledged_at",
        "first_responded_at",
        "resolved_at",
        "closed_at",
        "updated_at",
    )
    inlines = (ComplaintEventInline,)
    date_hierarchy = "received_at"
    show_full_result_count = False


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(admin.ModelAdmin[ComplaintEvent]):
    list_display = ("complaint", "kind", "is_public", "author", "created_at")
    list_filter = ("kind", "is_public")
    list_select_related = ("complaint", "author")
    raw_id_fields = ("complaint", "author")
    show_full_result_count = False


WEEKDAYS = (
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
)


class BusinessCalendarForm(forms.ModelForm[BusinessCalendar]):
    """A calendar the clock can run on: a real time zone, at least one working day, closing after opening."""

    working_days = forms.TypedMultipleChoiceField(
        label=_("working days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = BusinessCalendar
        fields = ("name", "time_zone", "always_open", "working_days", "opens_at", "closes_at")

    def clean_time_zone(self) -> str:
        name = str(self.cleaned_data["time_zone"]).strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(
                _("Unknown time zone “%(zone)s”: use a name like Europe/Moscow or Asia/Yekaterinburg."),
                params={"zone": name},
                code="time_zone",
            ) from None
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("always_open"):
            if not cleaned.get("working_days"):
                self.add_error("working_days", _("Choose at least one working day, or make the calendar 24/7."))
            opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
            if opens is not None and closes is not None and closes <= opens:
                self.add_error("closes_at", _("The closing time must be later than the opening time."))
        return cleaned


class HolidayInline(admin.TabularInline[Holiday, BusinessCalendar]):
    model = Holiday
    extra = 1
    fields = ("date", "name")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin[BusinessCalendar]):
    form = BusinessCalendarForm
    list_display = ("name", "time_zone", "always_open", "opens_at", "closes_at")
    search_fields = ("name",)
    inlines = (HolidayInline,)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    list_display = (
        "priority",
        "scope",
        "calendar",
        "acknowledgement_minutes",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
    )
    list_filter = ("priority", "category", "calendar")
    list_select_related = ("product", "calendar")
    raw_id_fields = ("product",)

    @admin.display(description=_("applies to"))
    def scope(self, policy: SlaPolicy) -> str:
        if policy.product is not None:
            return str(policy.product)
        if policy.category:
            return str(policy.get_category_display())
        return str(_("every complaint of this priority"))


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(admin.ModelAdmin[ReferenceCounter]):
    list_display = ("year", "last_number")


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin[CannedResponse]):
    list_display = ("title", "language", "is_active")
    list_filter = ("language", "is_active")
    search_fields = ("title", "body")


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin[SavedFilter]):
    list_display = ("name", "user", "query", "created_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin[Attachment]):
    list_display = ("original_name", "complaint", "content_type", "size", "by_customer", "received_at")
    list_select_related = ("complaint",)
    raw_id_fields = ("complaint", "event")
    readonly_fields = ("public_id", "sha256", "size", "content_type")
    show_full_result_count = False


class TeamMemberInline(admin.TabularInline[TeamMember, Team]):
    model = TeamMember
    extra = 1
    fields = ("user", "is_lead")
    raw_id_fields = ("user",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ("name", "is_default", "created_at")
    list_filter = ("is_default",)
    search_fields = ("name",)
    filter_horizontal = ("products",)
    inlines = (TeamMemberInline,)


@admin.register(AgentDuty)
class AgentDutyAdmin(admin.ModelAdmin[AgentDuty]):
    list_display = ("user", "on_duty", "changed_at", "last_assigned_at")
    list_filter = ("on_duty",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
