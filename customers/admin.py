from django.contrib import admin

from customers.models import Customer, Product, Purchase


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    list_display = ("email", "name", "phone", "language", "created_at")
    list_filter = ("language",)
    search_fields = ("email", "name", "phone", "external_id")
    show_full_result_count = False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    list_display = ("name", "code", "kind", "price", "currency", "warranty_days", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin[Purchase]):
    list_display = ("order_number", "customer", "product", "purchased_on", "amount", "currency")
    list_select_related = ("customer", "product")
    list_filter = ("product",)
    search_fields = ("order_number", "customer__email", "external_id")
    raw_id_fields = ("customer",)
    show_full_result_count = False
