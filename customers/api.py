"""The customers REST API: customers, products and purchases one at a time (/api/v1/customers/, /products/,
/purchases/: staff read, managers write) and the bulk imports (/api/v1/imports/<customers|products|purchases>/).

An import's body is JSON ``{"rows": [...], "dry_run": false}`` or a multipart CSV upload (field ``file``, optional
``dry_run``). The answer lists the created, updated and unchanged counts and the per-row errors.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors as complaint_selectors
from complaints.api import ComplaintListSerializer
from complaints.models import Complaint
from config.api import DecimalStringField
from config.api_views import ListApi
from customers import selectors, services
from customers.filters import CustomerFilter, ProductFilter, PurchaseFilter
from customers.imports import MAX_ROWS, ImportFileError, ImportResult, parse_csv, too_many_rows_message
from customers.models import Customer, Language, Product, Purchase
from customers.permissions import can_edit_customers, can_import_data, can_view_customers


class CanImportData(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_import_data(request.user)


class ImportRequestSerializer(serializers.Serializer[Any]):
    rows = serializers.ListField(child=serializers.DictField(), required=False)
    file = serializers.FileField(required=False)
    dry_run = serializers.BooleanField(default=False)


ImportResultSerializer = inline_serializer(
    "ImportResult",
    fields={
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "dry_run": serializers.BooleanField(),
        "errors": serializers.ListField(
            child=inline_serializer(
                "ImportRowError",
                fields={
                    "row": serializers.IntegerField(),
                    "field": serializers.CharField(),
                    "message": serializers.CharField(),
                },
            )
        ),
    },
)


class _ImportApi(APIView):
    permission_classes = [CanImportData]
    parser_classes = [JSONParser, MultiPartParser]
    importer: Callable[..., ImportResult]

    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        data: dict[str, Any] = request.data if isinstance(request.data, dict) else {}
        if upload is not None:
            dry_run = str(data.get("dry_run", "")).lower() in ("1", "true", "yes", "on")
            try:
                rows: list[dict[str, Any]] = list(parse_csv(upload.read()))
            except ImportFileError as exc:
                return Response({"detail": exc.message, "code": "unreadable_file"}, status=400)
        else:
            raw_rows = data.get("rows")
            if not isinstance(raw_rows, list) or not all(isinstance(row, dict) for row in raw_rows):
                message = gettext("Send a JSON body with a list of rows, or a CSV file in the field “file”.")
                return Response({"detail": message, "code": "invalid"}, status=400)
            if len(raw_rows) > MAX_ROWS:
                return Response({"detail": too_many_rows_message(), "code": "too_many_rows"}, status=400)
            rows = raw_rows
            dry_run = data.get("dry_run") is True
        try:
            result = type(self).importer(rows, dry_run=dry_run)
        except ImportFileError as exc:
            return Response({"detail": exc.message, "code": "unreadable_file"}, status=400)
        return Response(result.as_dict())


_SCHEMA = {
    "request": {"application/json": ImportRequestSerializer, "multipart/form-data": ImportRequestSerializer},
    "responses": {
        200: ImportResultSerializer,
        400: OpenApiResponse(description="Unreadable file, a missing column or more than 100,000 rows."),
        403: OpenApiResponse(description="Managers only."),
    },
}


class CustomerImportApi(_ImportApi):
    importer = staticmethod(services.customers_import)

    @extend_schema(summary="Import customers (upsert by external id, else email)", **_SCHEMA)  # type: ignore[arg-type]
    def post(self, request: Request) -> Response:
        return super().post(request)


class ProductImportApi(_ImportApi):
    importer = staticmethod(services.products_import)

    @extend_schema(summary="Import products (upsert by code)", **_SCHEMA)  # type: ignore[arg-type]
    def post(self, request: Request) -> Response:
        return super().post(request)


class PurchaseImportApi(_ImportApi):
    importer = staticmethod(services.purchases_import)

    @extend_schema(summary="Import purchases (upsert by external id, else order number)", **_SCHEMA)  # type: ignore[arg-type]
    def post(self, request: Request) -> Response:
        return super().post(request)


# --- customers, products and purchases one at a time ----------------------------------------------------------


class CustomerRecordsPermission(permissions.BasePermission):
    """Staff read; writing needs the model's add (POST) or change (PATCH) permission: managers."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return can_view_customers(request.user)
        model = getattr(view, "edited_model", "")
        return can_edit_customers(request.user, model=model, creating=request.method == "POST")


class CustomerSerializer(serializers.ModelSerializer[Customer]):
    class Meta:
        model = Customer
        fields = ("id", "email", "name", "phone", "language", "external_id", "created_at")
        read_only_fields = fields


class CustomerWriteSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=Language.choices, required=False, default=Language.EN)
    external_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class ProductSerializer(serializers.ModelSerializer[Product]):
    class Meta:
        model = Product
        fields = ("id", "code", "name", "kind", "price", "currency", "warranty_days", "is_active")
        read_only_fields = fields


class ProductChangeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Product.Kind.choices, default=Product.Kind.GOODS)
    price = DecimalStringField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        help_text=gettext_lazy("A decimal string; for a subscription, the fee for one month."),
    )
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$",
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("ISO 4217 code; empty: the default currency."),
    )
    warranty_days = serializers.IntegerField(min_value=0, max_value=36_500, default=0)
    is_active = serializers.BooleanField(default=True)


class ProductCreateSerializer(ProductChangeSerializer):
    code = serializers.SlugField(max_length=64)


class PurchaseSerializer(serializers.ModelSerializer[Purchase]):
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    customer_email = serializers.EmailField(source="customer.email", read_only=True)
    product = serializers.CharField(source="product.code", read_only=True)

    class Meta:
        model = Purchase
        fields = (
            "id",
            "customer",
            "customer_email",
            "product",
            "order_number",
            "purchased_on",
            "amount",
            "currency",
            "service_start",
            "service_end",
            "external_id",
        )
        read_only_fields = fields


class PurchaseWriteSerializer(serializers.Serializer[Any]):
    customer = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text=gettext_lazy("The customer's id."))
    product = serializers.SlugField(max_length=64, help_text=gettext_lazy("The product's code."))
    order_number = serializers.CharField(max_length=64)
    purchased_on = serializers.DateField()
    amount = DecimalStringField(max_digits=12, decimal_places=2, min_value=Decimal(0))
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$",
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("ISO 4217 code; empty: the product's currency."),
    )
    service_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    service_end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    external_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    def to_service(self) -> dict[str, Any]:
        """The validated fields under the names the purchase services take."""
        data = dict(self.validated_data)
        if "customer" in data:
            data["customer_id"] = data.pop("customer")
        if "product" in data:
            data["product_code"] = data.pop("product")
        return data


def _validated(serializer_class: type[serializers.Serializer[Any]], request: Request, *, partial: bool = False) -> Any:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer


class _CustomerRecordsApi(ListApi):
    permission_classes = [CustomerRecordsPermission]
    edited_model = ""


class CustomerListCreateApi(_CustomerRecordsApi):
    edited_model = "customer"
    filterset_class = CustomerFilter
    ordering = ("-created_at", "-id")
    ordering_fields = ("name", "created_at", "id")

    queryset = Customer.objects.none()

    def selected(self) -> QuerySet[Customer]:
        return selectors.customer_list(user=self.request.user)

    @extend_schema(responses={200: CustomerSerializer(many=True)}, operation_id="customer_list")
    def get(self, request: Request) -> Response:
        return self.list_response(CustomerSerializer)

    @extend_schema(request=CustomerWriteSerializer, responses={201: CustomerSerializer}, operation_id="customer_create")
    def post(self, request: Request) -> Response:
        customer = services.customer_create(**_validated(CustomerWriteSerializer, request).validated_data)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetailApi(_CustomerRecordsApi):
    edited_model = "customer"

    @extend_schema(responses={200: CustomerSerializer}, operation_id="customer_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(CustomerSerializer(selectors.customer_get(user=request.user, customer_id=pk)).data)

    @extend_schema(
        request=CustomerWriteSerializer(partial=True),
        responses={200: CustomerSerializer},
        operation_id="customer_update",
    )
    def patch(self, request: Request, pk: int) -> Response:
        customer = selectors.customer_get(user=request.user, customer_id=pk)
        changes = _validated(CustomerWriteSerializer, request, partial=True).validated_data
        return Response(CustomerSerializer(services.customer_update(customer=customer, changes=changes)).data)


class CustomerPurchaseListApi(_CustomerRecordsApi):
    ordering = ("-purchased_on", "-id")
    ordering_fields = ("purchased_on", "id")

    queryset = Purchase.objects.none()

    def selected(self) -> QuerySet[Purchase]:
        return selectors.purchase_list(user=self.request.user, customer_id=self.kwargs["pk"])

    @extend_schema(responses={200: PurchaseSerializer(many=True)}, operation_id="customer_purchase_list")
    def get(self, request: Request, pk: int) -> Response:
        return self.list_response(PurchaseSerializer)


class CustomerComplaintListApi(_CustomerRecordsApi):
    ordering = ("-received_at", "-id")
    ordering_fields = ("received_at", "id")

    queryset = Complaint.objects.none()

    def selected(self) -> QuerySet[Complaint]:
        customer = selectors.customer_get(user=self.request.user, customer_id=self.kwargs["pk"])
        return complaint_selectors.complaint_list(user=self.request.user).filter(customer=customer)

    @extend_schema(responses={200: ComplaintListSerializer(many=True)}, operation_id="customer_complaint_list")
    def get(self, request: Request, pk: int) -> Response:
        return self.list_response(ComplaintListSerializer)


class ProductListCreateApi(_CustomerRecordsApi):
    edited_model = "product"
    filterset_class = ProductFilter
    ordering = ("code",)
    ordering_fields = ("code", "name", "id")

    queryset = Product.objects.none()

    def selected(self) -> QuerySet[Product]:
        return selectors.product_catalogue(user=self.request.user)

    @extend_schema(responses={200: ProductSerializer(many=True)}, operation_id="product_list")
    def get(self, request: Request) -> Response:
        return self.list_response(ProductSerializer)

    @extend_schema(request=ProductCreateSerializer, responses={201: ProductSerializer}, operation_id="product_create")
    def post(self, request: Request) -> Response:
        product = services.product_create(**_validated(ProductCreateSerializer, request).validated_data)
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailApi(_CustomerRecordsApi):
    edited_model = "product"

    @extend_schema(responses={200: ProductSerializer}, operation_id="product_retrieve")
    def get(self, request: Request, code: str) -> Response:
        return Response(ProductSerializer(selectors.product_get(user=request.user, code=code)).data)

    @extend_schema(
        request=ProductChangeSerializer(partial=True), responses={200: ProductSerializer}, operation_id="product_update"
    )
    def patch(self, request: Request, code: str) -> Response:
        product = selectors.product_get(user=request.user, code=code)
        changes = _validated(ProductChangeSerializer, request, partial=True).validated_data
        return Response(ProductSerializer(services.product_update(product=product, changes=changes)).data)


class PurchaseListCreateApi(_CustomerRecordsApi):
    edited_model = "purchase"
    filterset_class = PurchaseFilter
    ordering = ("-purchased_on", "-id")
    ordering_fields = ("purchased_on", "id")

    queryset = Purchase.objects.none()

    def selected(self) -> QuerySet[Purchase]:
        return selectors.purchase_list(user=self.request.user)

    @extend_schema(responses={200: PurchaseSerializer(many=True)}, operation_id="purchase_list")
    def get(self, request: Request) -> Response:
        return self.list_response(PurchaseSerializer)

    @extend_schema(request=PurchaseWriteSerializer, responses={201: PurchaseSerializer}, operation_id="purchase_create")
    def post(self, request: Request) -> Response:
        purchase = services.purchase_create(**_validated(PurchaseWriteSerializer, request).to_service())
        return Response(PurchaseSerializer(purchase).data, status=status.HTTP_201_CREATED)


class PurchaseDetailApi(_CustomerRecordsApi):
    edited_model = "purchase"

    @extend_schema(responses={200: PurchaseSerializer}, operation_id="purchase_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(PurchaseSerializer(selectors.purchase_get(user=request.user, purchase_id=pk)).data)

    @extend_schema(
        request=PurchaseWriteSerializer(partial=True),
        responses={200: PurchaseSerializer},
        operation_id="purchase_update",
    )
    def patch(self, request: Request, pk: int) -> Response:
        purchase = selectors.purchase_get(user=request.user, purchase_id=pk)
        changes = _validated(PurchaseWriteSerializer, request, partial=True).to_service()
        return Response(PurchaseSerializer(services.purchase_update(purchase=purchase, changes=changes)).data)
