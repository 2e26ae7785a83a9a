"""Roles are Django groups: "moderator" and "admin". Superusers hold every role."""

from typing import Any

MODERATOR = "moderator"
ADMIN = "admin"
ROLES = (MODERATOR, ADMIN)


def has_role(user: Any, role: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    roles = {role, ADMIN} if role == MODERATOR else {role}
    return bool(user.groups.filter(name__in=roles).exists())
