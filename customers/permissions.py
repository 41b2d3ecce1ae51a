"""Who may do what with customers, products and purchases."""

from complaints.permissions import UserLike


def can_import_data(user: UserLike) -> bool:
    """Managers: import customers, products and purchases from the company's CRM or billing system."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("customers.add_purchase"))
