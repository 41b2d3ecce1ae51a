"""Reads for customers."""

from customers.models import Customer, Purchase


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
