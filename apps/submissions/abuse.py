"""Signs of automated or abusive submissions. They flag a submission; they never drop it."""

import re
import time

from django.conf import settings
from django.core import signing

FORM_SALT = "submissions.form-started"
MAX_LINKS_IN_TEXT = 10
LINK_RE = re.compile(r"https?://", re.IGNORECASE)


def form_started_token(now: float | None = None) -> str:
    """A signed timestamp put in the form when it is shown."""
    return signing.dumps(int(time.time() if now is None else now), salt=FORM_SALT)


def seconds_since_form_started(token: str, now: float | None = None) -> float | None:
    """Seconds since the form was shown, or None if the token is missing or forged."""
    try:
        started = signing.loads(token, salt=FORM_SALT, max_age=7 * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(started, int):
        return None
    return (time.time() if now is None else now) - started


def assess(
    *,
    honeypot: str = "",
    started_token: str | None = None,
    texts: tuple[str, ...] = (),
    now: float | None = None,
) -> list[str]:
    """Why this submission looks suspicious, in words a moderator can act on.

    `started_token` is None for API submissions (no form was shown).
    """
    flags = []
    if honeypot.strip():
        flags.append("The hidden field that people cannot see was filled in.")
    if started_token is not None:
        elapsed = seconds_since_form_started(started_token, now)
        if elapsed is None:
            flags.append("The form's timestamp was missing or had been altered.")
        elif elapsed < settings.SUBMISSION_MIN_SECONDS:
            flags.append(
                f"Sent {max(elapsed, 0):.0f} s after the form was opened "
                f"(minimum {settings.SUBMISSION_MIN_SECONDS} s)."
            )
    links = sum(len(LINK_RE.findall(text)) for text in texts)
    if links > MAX_LINKS_IN_TEXT:
        flags.append(f"The text holds {links} links (more than {MAX_LINKS_IN_TEXT}).")
    return flags
