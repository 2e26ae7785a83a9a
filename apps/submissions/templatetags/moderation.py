from typing import Any

from django import template
from django.db import DatabaseError

from apps.core.roles import MODERATOR, has_role
from apps.submissions.models import Submission

register = template.Library()


@register.inclusion_tag("submissions/_nav_moderation.html", takes_context=True)
def moderation_nav(context: template.Context) -> dict[str, Any]:
    """The header's queue link with the pending count; queried only for moderators."""
    user = context.get("user")
    try:
        if user is None or not has_role(user, MODERATOR):
            return {"show": False}
        return {"show": True, "pending": Submission.objects.pending().count()}
    except DatabaseError:
        # Error pages render the header too; they must not fail on a broken database.
        return {"show": False}
