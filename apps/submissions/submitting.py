"""The one way in for a submission, from the pages and the API alike: the rate limit,
then the abuse check, then the submission. Each face checks its own input first, so a
typo fixed does not use up the limit, and words its own answers."""

from typing import Any

from django.http import HttpRequest

from apps.catalog.models import Story
from apps.submissions import abuse, ratelimit
from apps.submissions.models import Submission
from apps.submissions.services import submission_create


def submit(
    *,
    request: HttpRequest,
    payload: dict[str, Any],
    texts: tuple[str, ...],
    story: Story | None = None,
    kind: str | None = None,
    note: str = "",
    email: str = "",
    honeypot: str = "",
    started_token: str | None = None,
) -> Submission:
    """Count the submission against the limits, flag what looks like abuse, store it.

    `texts` are the free texts the abuse check reads; `honeypot` and `started_token` come
    from the HTML form only. Raises RateLimited (nothing counted past the limit, nothing
    stored) or SubmissionInvalid.
    """
    client_key = ratelimit.check_submission(request)
    flags = abuse.assess(honeypot=honeypot, started_token=started_token, texts=texts)
    return submission_create(
        payload=payload,
        story=story,
        kind=kind,
        note=note,
        email=email,
        submitter=request.user,
        client_key=client_key,
        flags=flags,
    )
