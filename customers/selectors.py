"""Reads for customers."""

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from complaints.permissions import UserLike
from config.exceptions import PermissionRefused
from customers.models import Customer, Product, Purchase
from customers.permissions import can_view_customers

M = TypeVar("M", bound=Model)


def purchase_find_for_customer(*, customer: Customer, order_number: str) -> Purchase | None:
    """The purchase with this order number if, and only if, it belongs to ``customer``.

    Another customer's order number is answered exactly like an unknown one.
    """
    order_number = order_number.strip()
    if not order_number:
        return None
    return (
        Purchase.objects.select_related("product").filter(customer=customer, order_number__iexact=order_number).first()
    )


def product_list(*, on_sale_only: bool) -> list[tuple[int, str, str]]:
    """(id, code, name) of the catalogue's products by name: what pickers and filters offer."""
    products = Product.objects.order_by("name")
    if on_sale_only:
        products = products.filter(is_active=True)
    return list(products.values_list("pk", "code", "name"))


# --- The API's reads: staff only, with the joins each answer needs -----------------------------------------


def _require_staff(user: UserLike) -> None:
    if not can_view_customers(user):
        raise PermissionRefused(_("This page is for support staff."))


def customer_list(*, user: UserLike) -> QuerySet[Customer]:
    """Every customer, for staff (the API filters and orders it)."""
    _require_staff(user)
    return Customer.objects.all()


def _found(record: M | None) -> M:
    if record is None:
        raise Http404
    return record


def customer_get(*, user: UserLike, customer_id: int) -> Customer:
    """One customer, for staff. 404 when unknown."""
    _require_staff(user)
    return _found(Customer.objects.filter(pk=customer_id).first())


def product_catalogue(*, user: UserLike) -> QuerySet[Product]:
    """Every product, on sale or not, for staff."""
    _require_staff(user)
    return Product.objects.all()


def product_get(*, user: UserLike, code: str) -> Product:
    """The product with this code, for staff. 404 when unknown."""
    _require_staff(user)
    return _found(Product.objects.filter(code=code).first())


def purchase_list(*, user: UserLike, customer_id: int | None = None) -> QuerySet[Purchase]:
    """Purchases with their customer and product joined, for staff; only one customer's when ``customer_id`` is
    given (404 when that customer is unknown)."""
    _require_staff(user)
    purchases = Purchase.objects.select_related("customer", "product")
    if customer_id is not None:
        purchases = purchases.filter(customer=customer_get(user=user, customer_id=customer_id))
    return purchases


def purchase_get(*, user: UserLike, purchase_id: int) -> Purchase:
    """One purchase with its customer and product, for staff. 404 when unknown."""
    return _found(purchase_list(user=user).filter(pk=purchase_id).first())
