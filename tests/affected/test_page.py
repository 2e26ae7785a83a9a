"""/affected/: versions in, bugs out; pastes by POST; a shareable URL and a feed."""

import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from tests.affected.conftest import Bugs
from tests.affected.test_pastes import ETCD_VERSION, NODES_WIDE

URL = "/affected/"


def test_empty_page_offers_the_form(client: Client, db: None) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'name="kubernetes"' in text and 'name="paste"' in text
    assert "affected-results" not in text


def test_versions_inside_and_past_a_fix_are_listed_apart(client: Client, bugs: Bugs) -> None:
    text = client.get(URL, {"etcd": "3.5.2", "kubernetes": "v1.16.0-eks-abcdef0"}).content.decode()
    affected, fixed = text.split('id="fixed-heading"')
    assert "etcd-io/etcd#13766" in affected and "Fixed in <strong>3.5.3</strong>" in affected
    assert "affects etcd from 3.5.0, fixed in 3.5.3" in affected
    assert "Members diverged after a crash" in affected and "Upgrade canaries" in affected
    assert "kubernetes/kubernetes#74839" in fixed
    assert "v1.16.0-eks-abcdef0 (read as 1.16.0)" in fixed
    assert "Unknown: 1 upstream issue linked from stories has no recorded version ranges" in text
    assert 'href="/affected/?kubernetes=v1.16.0-eks-abcdef0&amp;etcd=3.5.2"' in text
    assert 'href="/affected/feed.atom?kubernetes=v1.16.0-eks-abcdef0&amp;etcd=3.5.2"' in text


def test_unpublished_stories_never_appear(client: Client, bugs: Bugs) -> None:
    text = client.get(URL, {"etcd": "3.5.0"}).content.decode()
    for hidden in ("Secret draft", "Retracted one", "Draft-only mitigation", "issues/2"):
        assert hidden not in text


def test_bad_and_partial_input_is_named(client: Client, bugs: Bugs) -> None:
    text = client.get(URL, {"etcd": "3.5.2", "kubernetes": "one", "helm": "3"}).content.decode()
    assert "Kubernetes: &#x27;one&#x27; is not a Kubernetes version." in text
    assert "&#x27;helm&#x27; is not a product we track" in text
    assert "etcd-io/etcd#13766" in text  # what was understood is still answered


def test_a_paste_is_read_and_never_put_in_the_url(client: Client, bugs: Bugs) -> None:
    response = client.post(
        URL, {"paste": NODES_WIDE + "\n" + ETCD_VERSION.replace("3.4.15", "3.5.1")}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "etcd-io/etcd#13766" in text
    share = text.split('id="share-url"')[0].rsplit('href="', 1)[1]
    assert share.startswith("/affected/?kubelet=v1.6.4")
    assert "ip-10-22-168-211" not in share and "24.111.11.60" not in share
    assert "kubernetes/kubernetes#74839" in text  # kube-proxy range read against the kubelet


def test_an_unreadable_paste_says_what_was_not_understood(client: Client, bugs: Bugs) -> None:
    text = client.post(URL, {"paste": "hello world"}).content.decode()
    assert "Line(s) 1 of the paste were not understood" in text
    assert "Nothing was pasted." in client.post(URL, {"paste": "  "}).content.decode()


def test_nothing_is_stored(client: Client, bugs: Bugs, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(4):  # ranges, stories, mitigations, unknown count: reads only
        client.get(URL, {"etcd": "3.5.2"})
    assert not client.cookies.get("sessionid")


@pytest.mark.parametrize("size", [1, 3])
def test_queries_do_not_grow_with_results(
    client: Client, bugs: Bugs, size: int, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from tests.affected.conftest import link
    from tests.factories import StoryFactory

    for _ in range(size):
        link(StoryFactory.create(), bugs.etcd, bugs.kube_proxy)
    with django_assert_num_queries(4):
        client.get(URL, {"etcd": "3.5.2", "kubelet": "1.14.0"})


def test_feed_lists_public_stories_of_affecting_bugs(client: Client, bugs: Bugs) -> None:
    response = client.get("/affected/feed.atom", {"etcd": "3.5.2"})
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.findtext("a:title", namespaces=ns) == "Failure stories affecting etcd 3.5.2"
    assert [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)] == [
        "Members diverged after a crash"
    ]
    fixed = ET.fromstring(client.get("/affected/feed.atom", {"etcd": "3.5.3"}).content)
    assert fixed.findall("a:entry", ns) == []
    bad = client.get("/affected/feed.atom", {"etcd": "nope\x00"})
    assert bad.status_code == 200 and ET.fromstring(bad.content).findall("a:entry", ns) == []


def test_story_page_says_what_each_issue_affects(client: Client, bugs: Bugs) -> None:
    text = client.get(bugs.published.get_absolute_url()).content.decode()
    assert "affects etcd from 3.5.0, fixed in 3.5.3" in text
    assert "affects Kubernetes (kube-proxy) before 1.15.0, fixed in 1.15.0" in text
    assert (
        'href="https://github.com/etcd-io/etcd/pull/13914" rel="nofollow noopener">evidence</a>'
        in text
    )
    assert "Affected versions: unknown." in text  # the issue without ranges


def test_nav_links_the_page(client: Client, db: None) -> None:
    assert 'href="/affected/">Am I affected?</a>' in client.get("/").content.decode()


def test_hostile_input_is_shown_as_text(client: Client, bugs: Bugs) -> None:
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    text = client.get(URL, {"etcd": hostile, hostile: "1.0"}).content.decode()
    assert "<script>alert(1)" not in text and "<img src=x" not in text
    posted = client.post(URL, {"paste": hostile}).content.decode()
    assert "<script>alert(1)" not in posted and "&lt;script&gt;" in posted
