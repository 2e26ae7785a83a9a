"""/metrics answers only when enabled and only to the allowed networks; never cached."""

import pytest
from django.test import Client

from tests.observability.conftest import LOCAL

pytestmark = pytest.mark.django_db


def test_off_by_default_is_a_404(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.METRICS_ENABLED is False
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    assert client.get("/metrics", **LOCAL).status_code == 404


def test_allowed_network_gets_metrics_never_cached(client: Client, metrics_on) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/metrics", **LOCAL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert b"kfs_outbox_pending" in response.content


@pytest.mark.parametrize("address", ["203.0.113.9", "10.1.2.3", "2001:db8::1"])
def test_other_networks_get_a_404(client: Client, metrics_on, address: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/metrics", REMOTE_ADDR=address, HTTP_HOST="127.0.0.1")
    assert response.status_code == 404
    assert b"kfs_" not in response.content


def test_cluster_network_can_be_allowed(client: Client, metrics_on) -> None:  # type: ignore[no-untyped-def]
    metrics_on.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_HOST="127.0.0.1").status_code == 200
    assert client.get("/metrics", **LOCAL).status_code == 404


def test_a_forged_forwarded_for_does_not_open_it(client: Client, metrics_on) -> None:  # type: ignore[no-untyped-def]
    forged = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "127.0.0.1"}
    assert client.get("/metrics", HTTP_HOST="127.0.0.1", **forged).status_code == 404


def test_behind_a_proxy_the_client_counts_not_the_proxy(client: Client, metrics_on) -> None:  # type: ignore[no-untyped-def]
    # The proxy is local, the client it forwards is not: refused.
    metrics_on.TRUSTED_PROXY_COUNT = 1
    proxied = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client.get("/metrics", HTTP_HOST="127.0.0.1", **proxied).status_code == 404
    # A scraper inside the cluster reaches the pod directly, with no proxy: allowed.
    assert client.get("/metrics", **LOCAL).status_code == 200


def test_bad_network_setting_names_the_variable() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_networks

    with pytest.raises(ImproperlyConfigured, match="METRICS_ALLOWED_NETWORKS"):
        env_networks("METRICS_ALLOWED_NETWORKS", [], environ={"METRICS_ALLOWED_NETWORKS": "pods"})


def test_a_scrape_costs_three_queries(
    client: Client, metrics_on, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    # The outbox (count and oldest), the lease row, the broken links of published stories.
    with django_assert_num_queries(3):
        assert client.get("/metrics", **LOCAL).status_code == 200


def test_a_refused_scrape_reads_nothing(
    client: Client, metrics_on, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    metrics_on.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    with django_assert_num_queries(0):
        assert client.get("/metrics", **LOCAL).status_code == 404
