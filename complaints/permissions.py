"""Who may do what with complaints. Views and APIs ask these; services enforce them."""

from django.contrib.auth.models import AnonymousUser, User

AGENTS_GROUP = "Support agents"
TEAM_LEADS_GROUP = "Team leads"
MANAGERS_GROUP = "Managers"

UserLike = User | AnonymousUser


def can_view_complaints(user: UserLike) -> bool:
    """Support staff and managers read the queue and complaint pages."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("complaints.view_complaint"))


def can_handle_complaints(user: UserLike) -> bool:
    """Replying, noting, assigning and changing status."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("complaints.change_complaint"))


def can_lead_team(user: UserLike) -> bool:
    """Team leads and managers: the duty rota, team assignment and the team's workload page."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("complaints.lead_team"))


def can_view_reports(user: UserLike) -> bool:
    """Managers only: the managers' pages (what keeps going wrong, reports)."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("complaints.view_reports"))


def staff_user(user: UserLike) -> User:
    """The signed-in staff member behind a request already checked by a staff-only view."""
    if not isinstance(user, User):
        raise PermissionError("a signed-in user is required")
    return user
