"""Who may manage webhooks."""

from complaints.permissions import UserLike


def can_manage_webhooks(user: UserLike) -> bool:
    """Managers: add, change and remove subscribers, read their delivery logs and retry deliveries."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("notifications.manage_webhooks"))
