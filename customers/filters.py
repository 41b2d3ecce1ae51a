"""What the customers API's lists can be filtered by (query parameters; a malformed value is a 400)."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from config.filters import DateTimeFilter, IdFilter, StrictFilterSet
from customers.models import Customer, Product, Purchase


class CustomerFilter(StrictFilterSet):
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact", help_text=_("Exactly this email."))
    external_id = django_filters.CharFilter(field_name="external_id", help_text=_("The id in the CRM."))
    q = django_filters.CharFilter(method="search", help_text=_("Part of the name or the email."))
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Customer
        fields: list[str] = []

    def search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value))


class ProductFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=Product.Kind.choices)
    is_active = django_filters.BooleanFilter(help_text=_("On sale (true) or not (false)."))

    class Meta:
        model = Product
        fields: list[str] = []


class PurchaseFilter(StrictFilterSet):
    customer = IdFilter(field_name="customer_id", help_text=_("The customer's id."))
    product = django_filters.CharFilter(field_name="product__code", help_text=_("The product's code."))
    order_number = django_filters.CharFilter(field_name="order_number")
    external_id = django_filters.CharFilter(field_name="external_id")
    purchased_after = django_filters.DateFilter(field_name="purchased_on", lookup_expr="gte")
    purchased_before = django_filters.DateFilter(field_name="purchased_on", lookup_expr="lte")

    class Meta:
        model = Purchase
        fields: list[str] = []
