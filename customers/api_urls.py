from django.urls import path

from customers import api

urlpatterns = [
    path("imports/customers/", api.CustomerImportApi.as_view(), name="import-customers"),
    path("imports/products/", api.ProductImportApi.as_view(), name="import-products"),
    path("imports/purchases/", api.PurchaseImportApi.as_view(), name="import-purchases"),
]
