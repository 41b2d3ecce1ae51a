"""What the complaints API's lists can be filtered by (query parameters; a malformed value is a 400)."""

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Channel, Complaint, Priority, Status
from config.filters import DateTimeFilter, IdFilter, StrictFilterSet
from notifications.models import Letter, LetterKind, LetterStatus

NO_ASSIGNEE = "none"


class ComplaintFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    team = IdFilter(field_name="team_id", help_text=_("The team's id."))
    assignee = django_filters.CharFilter(
        method="by_assignee", help_text=_("The assignee's username, or “none” for unassigned complaints.")
    )
    product = django_filters.CharFilter(field_name="product__code", help_text=_("The product's code."))
    customer_email = django_filters.CharFilter(field_name="customer__email", lookup_expr="iexact")
    received_after = DateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = DateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Complaint
        fields: list[str] = []

    def by_assignee(self, queryset: QuerySet[Complaint], name: str, value: str) -> QuerySet[Complaint]:
        value = value.strip()
        if not value:
            return queryset
        if value == NO_ASSIGNEE:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__username=value)


class LetterFilter(StrictFilterSet):
    complaint = django_filters.CharFilter(
        field_name="complaint__reference", help_text=_("The complaint's reference number.")
    )
    status = django_filters.ChoiceFilter(choices=LetterStatus.choices)
    kind = django_filters.ChoiceFilter(choices=LetterKind.choices)
    recipient = django_filters.CharFilter(field_name="recipient", lookup_expr="iexact")

    class Meta:
        model = Letter
        fields: list[str] = []
