"""Source URLs and upstream issue URLs: validation, canonical form, parsing."""

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from apps.core.limits import MAX_URL

DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that track the reader rather than select the page.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "igshid",
        "ref_src",
        "ref_url",
        "si",
    }
)
TRACKING_PREFIXES = ("utm_",)

MAX_URL_LENGTH = MAX_URL
# What str.isspace() calls white space (re's \s for str patterns), and control characters.
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")


class InvalidURL(ValueError):
    """The text is not an absolute http(s) URL we accept."""


def check_http_url(url: str) -> str:
    """Return the URL stripped of surrounding white space, or raise InvalidURL naming why."""
    if not isinstance(url, str):
        raise InvalidURL("must be a URL string")
    url = url.strip()
    if not url:
        raise InvalidURL("is empty")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidURL(f"is longer than {MAX_URL_LENGTH} characters")
    if _SPACE_OR_CONTROL.search(url):
        raise InvalidURL("contains white space or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"is malformed ({exc})") from None
    if parts.scheme.lower() not in DEFAULT_PORTS:
        raise InvalidURL(f"must start with http:// or https://, not {parts.scheme or 'nothing'}:")
    if not parts.hostname:
        raise InvalidURL("has no host name")
    if "." not in parts.hostname and parts.hostname != "localhost" and ":" not in parts.hostname:
        raise InvalidURL(f"host {parts.hostname!r} is not a full domain name")
    if parts.username or parts.password:
        raise InvalidURL("must not contain a user name or password")
    if port == 0:
        raise InvalidURL("has an invalid port")
    return url


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def canonicalize_url(url: str) -> str:
    """The form two URLs of the same page share.

    Lower-cases scheme and host, drops default ports, user info, fragments, tracking
    parameters and a trailing slash, sorts the remaining query parameters, and
    normalises percent-encoding. Raises InvalidURL for anything but http(s).
    """
    if not isinstance(url, str):
        raise InvalidURL("must be a URL string")
    return _canonical(url)


# Imports canonicalize each source URL several times (checks, duplicates, owners).
@lru_cache(maxsize=4096)
def _canonical(url: str) -> str:
    parts = urlsplit(check_http_url(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if parts.port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{parts.port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~") or "/"
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1:
        path = path.rstrip("/")
    query = urlencode(
        sorted(
            (name, value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if not _is_tracking(name)
        )
    )
    # http and https serve the same document for our purposes.
    return urlunsplit(("https", netloc, path, query, ""))


GITHUB_ISSUE_RE = re.compile(
    r"^https://github\.com/(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/"
    r"(?P<repo>[A-Za-z0-9._-]{1,100})/(?P<kind>issues|pull)/(?P<number>[1-9][0-9]{0,8})/?$"
)
KERNEL_BUGZILLA_RE = re.compile(
    r"^https://bugzilla\.kernel\.org/show_bug\.cgi\?id=(?P<number>[1-9][0-9]{0,8})$"
)


@dataclass(frozen=True)
class UpstreamRef:
    """An upstream issue or pull request, parsed from its URL."""

    url: str
    tracker: str
    owner: str
    repo: str
    number: int
    kind: str


def parse_upstream_url(url: str) -> UpstreamRef:
    """Parse a GitHub issue/PR URL or a kernel Bugzilla bug URL; raise InvalidURL otherwise.

    The returned `url` is the canonical form: https, no fragment, no query, no trailing slash.
    """
    parts = urlsplit(check_http_url(url))
    host = parts.netloc.lower()
    github = GITHUB_ISSUE_RE.match(f"https://{host}{parts.path}")
    if github and host == "github.com":
        owner, repo, number = github["owner"], github["repo"], int(github["number"])
        return UpstreamRef(
            url=f"https://github.com/{owner}/{repo}/{github['kind']}/{number}",
            tracker="github",
            owner=owner,
            repo=repo,
            number=number,
            kind="pull" if github["kind"] == "pull" else "issue",
        )
    bugzilla = KERNEL_BUGZILLA_RE.match(f"https://{host}{parts.path}?{parts.query}")
    if bugzilla:
        number = int(bugzilla["number"])
        return UpstreamRef(
            url=f"https://bugzilla.kernel.org/show_bug.cgi?id={number}",
            tracker="kernel-bugzilla",
            owner="kernel",
            repo="linux",
            number=number,
            kind="issue",
        )
    raise InvalidURL(
        "is not a GitHub issue or pull request URL (https://github.com/OWNER/REPO/issues/N "
        "or /pull/N) or a kernel Bugzilla bug URL"
    )
