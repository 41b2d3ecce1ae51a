from django.urls import path

from customers import api

urlpatterns = [
    path("customers/", api.CustomerListCreateApi.as_view(), name="customer-list"),
    path("customers/<int:pk>/", api.CustomerDetailApi.as_view(), name="customer-detail"),
    path("customers/<int:pk>/purchases/", api.CustomerPurchaseListApi.as_view(), name="customer-purchases"),
    path("customers/<int:pk>/complaints/", api.CustomerComplaintListApi.as_view(), name="customer-complaints"),
    path("products/", api.ProductListCreateApi.as_view(), name="product-list"),
    path("products/<slug:code>/", api.ProductDetailApi.as_view(), name="product-detail"),
    path("purchases/", api.PurchaseListCreateApi.as_view(), name="purchase-list"),
    path("purchases/<int:pk>/", api.PurchaseDetailApi.as_view(), name="purchase-detail"),
    path("imports/customers/", api.CustomerImportApi.as_view(), name="import-customers"),
    path("imports/products/", api.ProductImportApi.as_view(), name="import-products"),
    path("imports/purchases/", api.PurchaseImportApi.as_view(), name="import-purchases"),
]
