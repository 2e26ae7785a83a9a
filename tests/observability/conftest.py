import pytest
from prometheus_client.parser import text_string_to_metric_families

# Fixtures of the link-check tests, used here too: a local HTTP server, a shared database.
from tests.linkcheck.conftest import local_site, shared_database  # noqa: F401

LOCAL = {"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1"}


@pytest.fixture
def metrics_on(settings):  # type: ignore[no-untyped-def]
    settings.METRICS_ENABLED = True
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    return settings


def scrape(client) -> dict[str, list[tuple[str, dict[str, str], float]]]:  # type: ignore[no-untyped-def]
    """/metrics parsed: family name -> its samples (name, labels, value)."""
    response = client.get("/metrics", **LOCAL)
    assert response.status_code == 200, response.status_code
    text = response.content.decode()
    return {
        family.name: [(s.name, s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(text)
    }


def sample(families, name: str, **labels: str) -> float | None:  # type: ignore[no-untyped-def]
    """The value of the sample `name` whose labels include `labels`, or None."""
    for samples in families.values():
        for sample_name, sample_labels, value in samples:
            if sample_name == name and labels.items() <= sample_labels.items():
                return value
    return None
