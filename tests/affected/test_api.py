"""GET /api/v1/affected/: the page's answer as JSON, public stories only."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from apps.affected.matching import read_versions
from apps.affected.versions import MAX_VERSION_LENGTH, VERSION_LIST_PATTERN
from tests.affected.conftest import Bugs

URL = "/api/v1/affected/"


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def test_affected_fixed_and_unknown_products(client: APIClient, bugs: Bugs) -> None:
    response = client.get(
        URL, {"kubernetes": "1.24.1", "etcd": "3.5.2", "linux-kernel": "5.4.0", "helm": "3.1"}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"affected", "fixed", "unknown_products"}
    assert body["unknown_products"] == ["helm"]
    (etcd,) = body["affected"]
    assert etcd == {
        "issue": {"url": bugs.etcd.url, "title": "Inconsistent revision after OOM kill", "state": "closed"},  # noqa: E501
        "version": "3.5.2",
        "range": {
            "product": "etcd", "component": "", "introduced": "3.5.0", "fixed": "3.5.3",
            "last_affected": None, "evidence": "https://github.com/etcd-io/etcd/pull/13914",
            "description": "affects etcd from 3.5.0, fixed in 3.5.3",
        },
        "fixed_in": "3.5.3",
        "fixed_versions": ["3.5.3"],
        "stories": ["2022-shown-etcd"],
    }  # fmt: skip
    (kube_proxy,) = body["fixed"]
    assert kube_proxy["issue"]["url"] == bugs.kube_proxy.url
    assert kube_proxy["range"]["component"] == "kube-proxy"


def test_unpublished_stories_and_issues_only_they_link_never_appear(
    client: APIClient, bugs: Bugs
) -> None:
    body = client.get(URL, {"etcd": "3.5.0"}).json()
    text = str(body)
    assert "2022-draft-etcd" not in text and "2022-retracted" not in text
    assert "issues/2" not in text  # linked from a draft only, though 3.5.0 is inside its range
    assert [entry["stories"] for entry in body["affected"]] == [["2022-shown-etcd"]]


def test_exactly_at_the_fix_is_fixed(client: APIClient, bugs: Bugs) -> None:
    body = client.get(URL, {"etcd": "v3.5.3"}).json()
    assert body["affected"] == [] and [e["version"] for e in body["fixed"]] == ["v3.5.3"]


def test_bad_versions_are_a_400_naming_the_product(client: APIClient, bugs: Bugs) -> None:
    response = client.get(URL, {"etcd": "three", "kubernetes": "1.24.1"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert body["fields"] == {
        "etcd": ["Expected comma-separated versions such as 1.27.4 or v3.5.2-eks, not 'three'."]
    }
    assert client.get(URL, {"etcd": ""}).status_code == 400
    assert client.get(URL, {"etcd": "1" * 201}).status_code == 400


def test_no_versions_at_all_answer_empty_lists(client: APIClient, bugs: Bugs) -> None:
    body = client.get(URL).json()
    assert body == {"affected": [], "fixed": [], "unknown_products": []}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.from_regex(VERSION_LIST_PATTERN).filter(lambda t: len(t) <= MAX_VERSION_LENGTH))
def test_every_version_the_schema_allows_is_readable(text: str) -> None:
    """The schema's pattern and the reader agree, so schemathesis' valid requests pass."""
    assert read_versions({"kubernetes": [text]}).errors == {}


def test_only_unknown_products_answer_empty_lists(client: APIClient, bugs: Bugs) -> None:
    body = client.get(URL, {"nginx": "1.25"}).json()
    assert body == {"affected": [], "fixed": [], "unknown_products": ["nginx"]}


def test_several_versions_of_a_product_and_etag(client: APIClient, bugs: Bugs) -> None:
    response = client.get(URL, {"kubelet": "v1.14.2,v1.16.0", "kubernetes": "1.16.0"})
    assert [e["issue"]["url"] for e in response.json()["affected"]] == [bugs.kube_proxy.url]
    again = client.get(
        URL,
        {"kubelet": "v1.14.2,v1.16.0", "kubernetes": "1.16.0"},
        HTTP_IF_NONE_MATCH=response["ETag"],
    )
    assert again.status_code == 304


def test_queries_do_not_grow_with_results(
    client: APIClient, bugs: Bugs, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(4):
        client.get(URL, {"etcd": "3.5.2", "kubelet": "1.14.0"})


def test_the_schema_describes_it(client: APIClient, db: None) -> None:
    schema = client.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/affected/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"kubernetes", "etcd", "linux-kernel", "coredns", "kubelet"} <= names
    assert set(operation["responses"]) >= {"200", "400"}
    assert "post" not in schema["paths"]["/api/v1/affected/"]
