"""Who may do what with incidents. Views and APIs ask these; services enforce them."""

from complaints.permissions import UserLike


def can_view_incidents(user: UserLike) -> bool:
    """Everyone on staff reads incidents."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("compensation.view_incident"))


def can_manage_incidents(user: UserLike) -> bool:
    """Team leads and managers declare incidents and correct their window."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.has_perm("compensation.add_incident")
        and user.has_perm("compensation.change_incident")
    )


def can_compensate_incidents(user: UserLike) -> bool:
    """Managers only: apologise to every affected customer and credit them."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("compensation.compensate_incident"))
