"""The API's permission classes over the roles of apps.core.roles."""

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.core.roles import MODERATOR, has_role


class IsModerator(BasePermission):
    message = "Only moderators may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return has_role(request.user, MODERATOR)


class ReadOnlyOrModerator(BasePermission):
    """Anyone reads; moderators (and admins) write."""

    message = "Only moderators may change this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or has_role(request.user, MODERATOR)
