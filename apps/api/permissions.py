"""Roles are Django groups: "moderator" and "admin". Superusers hold every role."""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

MODERATOR = "moderator"
ADMIN = "admin"


def has_role(user: Any, role: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    roles = {role, ADMIN} if role == MODERATOR else {role}
    return bool(user.groups.filter(name__in=roles).exists())


class IsModerator(BasePermission):
    message = "Only moderators may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return has_role(request.user, MODERATOR)


class IsAdmin(BasePermission):
    message = "Only administrators may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return has_role(request.user, ADMIN)


class ReadOnlyOrModerator(BasePermission):
    """Anyone reads; moderators (and admins) write."""

    message = "Only moderators may change this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or has_role(request.user, MODERATOR)
