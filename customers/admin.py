from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _

from customers import services
from customers.imports import ImportFileError, ImportResult, import_columns_help, parse_csv
from customers.models import Customer, Product, Purchase
from customers.permissions import can_import_data

PREVIEW_ROWS = 50
SESSION_KEY = "customers_import_%s"
IMPORT_CHANGE_LIST = "admin/customers/change_list_import.html"


class CsvImportMixin:
    """An "Import CSV" page on the changelist: upload, preview (a dry run), confirm."""

    importer: Callable[..., ImportResult]
    model: Any
    admin_site: admin.AdminSite

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        urls = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            )
        ]
        return urls + list(super().get_urls())  # type: ignore[misc]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_import": can_import_data(request.user)}
        response: HttpResponse = super().changelist_view(request, extra_context)  # type: ignore[misc]
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not can_import_data(request.user):
            raise PermissionDenied
        opts = self.model._meta
        key = SESSION_KEY % opts.model_name
        importer = type(self).importer
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": _("Import %(name)s from CSV") % {"name": opts.verbose_name_plural},
            "columns": import_columns_help(opts.model_name),
        }
        if request.method == "POST" and "confirm" in request.POST:
            text = request.session.get(key)
            if text is None:
                messages.error(request, _("The uploaded file has expired; please upload it again."))
                return HttpResponseRedirect(request.path)
            try:
                result = importer(parse_csv(text.encode()), dry_run=False)
            except ImportFileError as exc:
                messages.error(request, exc.message)
                return HttpResponseRedirect(request.path)
            del request.session[key]
            messages.success(
                request,
                _(
                    "Import finished: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                    "%(skipped)d skipped for mistakes."
                )
                % {
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "skipped": result.error_rows,
                },
            )
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        if request.method == "POST":
            upload = request.FILES.get("file")
            if upload is None:
                context["error"] = _("Choose a CSV file to upload.")
            else:
                data = upload.read()
                try:
                    rows = parse_csv(data)
                    result = importer(rows, dry_run=True)
                except ImportFileError as exc:
                    context["error"] = exc.message
                else:
                    request.session[key] = data.decode("utf-8-sig")
                    header = list(rows[0].keys()) if rows else []
                    context.update(
                        {
                            "result": result,
                            "header": header,
                            "preview": [[row.get(name, "") for name in header] for row in rows[:PREVIEW_ROWS]],
                            "total_rows": len(rows),
                            "errors": result.errors[:PREVIEW_ROWS],
                            "more_errors": max(0, len(result.errors) - PREVIEW_ROWS),
                        }
                    )
        return TemplateResponse(request, "admin/customers/import.html", context)


@admin.register(Customer)
class CustomerAdmin(CsvImportMixin, admin.ModelAdmin[Customer]):
    importer = staticmethod(services.customers_import)
    change_list_template = IMPORT_CHANGE_LIST
    list_display = ("email", "name", "phone", "language", "created_at")
    list_filter = ("language",)
    search_fields = ("email", "name", "phone", "external_id")
    show_full_result_count = False


@admin.register(Product)
class ProductAdmin(CsvImportMixin, admin.ModelAdmin[Product]):
    importer = staticmethod(services.products_import)
    change_list_template = IMPORT_CHANGE_LIST
    list_display = ("name", "code", "kind", "price", "currency", "warranty_days", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")


@admin.register(Purchase)
class PurchaseAdmin(CsvImportMixin, admin.ModelAdmin[Purchase]):
    importer = staticmethod(services.purchases_import)
    change_list_template = IMPORT_CHANGE_LIST
    list_display = ("order_number", "customer", "product", "purchased_on", "amount", "currency")
    list_select_related = ("customer", "product")
    list_filter = ("product",)
    search_fields = ("order_number", "customer__email", "external_id")
    raw_id_fields = ("customer",)
    show_full_result_count = False
