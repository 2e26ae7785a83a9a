import pytest

from apps.catalog.links import InvalidURL, canonicalize_url, check_http_url, parse_upstream_url


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTPS://Example.ORG/post", "https://example.org/post"),
        ("https://example.org:443/post", "https://example.org/post"),
        ("http://example.org:80/post", "https://example.org/post"),
        ("https://example.org/post/", "https://example.org/post"),
        ("https://example.org/post#section-2", "https://example.org/post"),
        ("https://example.org/post?utm_source=x&utm_medium=y", "https://example.org/post"),
        ("https://example.org/post?fbclid=abc&gclid=1", "https://example.org/post"),
        ("https://www.example.org/post", "https://example.org/post"),
        ("https://example.org/post?b=2&a=1", "https://example.org/post?a=1&b=2"),
        ("https://example.org/%7Euser", "https://example.org/~user"),
    ],
)
def test_canonical_forms_match(a: str, b: str) -> None:
    assert canonicalize_url(a) == canonicalize_url(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.org/post", "https://example.org/other"),
        ("https://example.org/watch?v=1", "https://example.org/watch?v=2"),
        ("https://example.org:8443/post", "https://example.org/post"),
        ("https://example.org/Post", "https://example.org/post"),
    ],
)
def test_different_pages_stay_different(a: str, b: str) -> None:
    assert canonicalize_url(a) != canonicalize_url(b)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(1)", "http"),
        ("ftp://example.org/file", "http"),
        ("mailto:someone@example.org", "http"),
        ("example.org/post", "http"),
        ("https://", "host"),
        ("https://exa mple.org/", "white space"),
        ("https://user:secret@example.org/", "password"),
        ("https://localhostish/", "full domain"),
        ("https://example.org:99999/", "malformed"),
        ("", "empty"),
    ],
)
def test_invalid_urls_are_rejected_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(InvalidURL, match=reason):
        check_http_url(url)


def test_github_issue_and_pull_request_urls_parse() -> None:
    issue = parse_upstream_url(
        "https://github.com/kubernetes/kubernetes/issues/56903#issuecomment-1"
    )
    assert (issue.owner, issue.repo, issue.number, issue.kind) == (
        "kubernetes",
        "kubernetes",
        56903,
        "issue",
    )
    assert issue.url == "https://github.com/kubernetes/kubernetes/issues/56903"
    pull = parse_upstream_url("http://github.com/etcd-io/etcd/pull/13942/")
    assert (pull.kind, pull.number, pull.url) == (
        "pull",
        13942,
        "https://github.com/etcd-io/etcd/pull/13942",
    )


def test_kernel_bugzilla_urls_parse() -> None:
    bug = parse_upstream_url("https://bugzilla.kernel.org/show_bug.cgi?id=198197")
    assert (bug.tracker, bug.number) == ("kernel-bugzilla", 198197)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/kubernetes/kubernetes",
        "https://github.com/kubernetes/kubernetes/issues/",
        "https://github.com/kubernetes/kubernetes/issues/0",
        "https://github.com/kubernetes/kubernetes/commit/abc",
        "https://gitlab.com/a/b/issues/1",
        "https://github.com.evil.org/a/b/issues/1",
    ],
)
def test_other_urls_are_not_upstream_issues(url: str) -> None:
    with pytest.raises(InvalidURL):
        parse_upstream_url(url)
