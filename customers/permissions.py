"""Who may do what with customers, products and purchases."""

from complaints.permissions import UserLike, can_view_complaints


def can_import_data(user: UserLike) -> bool:
    """Managers: import customers, products and purchases from the company's CRM or billing system."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("customers.add_purchase"))


def can_view_customers(user: UserLike) -> bool:
    """Everyone on support staff reads customers, the catalogue and purchases (the complaint page shows them)."""
    return can_view_complaints(user)


def can_edit_customers(user: UserLike, *, model: str, creating: bool) -> bool:
    """Managers add and change customers, products and purchases (``model``: customer, product or purchase)."""
    codename = f"customers.{'add' if creating else 'change'}_{model}"
    return bool(user.is_authenticated and user.is_active and user.has_perm(codename))
