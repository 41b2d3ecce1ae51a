"""Reads for customers."""

from customers.models import Customer, Product, Purchase


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
