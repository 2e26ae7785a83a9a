"""The OpenAPI document names only public rows: its enums of filter values come from the
same public querysets as the filters, so a draft or retracted story's organization is
never listed."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.catalog.models import Story
from tests.factories import ComponentFactory, OrganizationFactory, StoryFactory

pytestmark = pytest.mark.django_db


def enums(client: APIClient) -> dict[str, list[str]]:
    schema = client.get("/api/v1/schema/?format=json").json()
    found: dict[str, list[str]] = {}
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                schema_of = parameter.get("schema", {})
                target = schema_of.get("items", schema_of)
                if "enum" in target:
                    found.setdefault(parameter["name"], target["enum"])
    return found


@pytest.fixture
def organizations() -> dict[str, Any]:
    shown = OrganizationFactory(name="Shown", slug="shown-org")
    drafted = OrganizationFactory(name="Zq Drafted", slug="drafted-org")
    retracted = OrganizationFactory(name="Zq Retracted", slug="retracted-org")
    both = OrganizationFactory(name="Both", slug="both-org")
    OrganizationFactory(name="No stories", slug="storyless-org")
    StoryFactory(organization=shown)
    StoryFactory(organization=drafted, status=Story.Status.DRAFT)
    StoryFactory(organization=retracted, status=Story.Status.RETRACTED)
    StoryFactory(organization=both, status=Story.Status.DRAFT)
    StoryFactory(organization=both)
    return {"shown": shown, "both": both}


def test_organization_enum_names_only_organizations_with_a_published_story(
    organizations: dict[str, Any],
) -> None:
    schema_enums = enums(APIClient())
    assert schema_enums["organization"] == ["both-org", "shown-org"]
    text = APIClient().get("/api/v1/schema/?format=json").content.decode()
    for hidden in ("drafted-org", "retracted-org", "storyless-org", "Zq Drafted", "Zq Retracted"):
        assert hidden not in text


def test_enum_follows_publication(organizations: dict[str, Any]) -> None:
    Story.objects.filter(organization=organizations["shown"]).update(status=Story.Status.RETRACTED)
    assert enums(APIClient())["organization"] == ["both-org"]


def test_enums_and_filters_accept_the_same_values(organizations: dict[str, Any]) -> None:
    ComponentFactory(slug="dns")
    client = APIClient()
    schema_enums = enums(client)
    assert "dns" in schema_enums["component"]
    for slug in schema_enums["organization"]:
        assert client.get(f"/api/v1/stories/?organization={slug}").status_code == 200
    refused = client.get("/api/v1/stories/?organization=drafted-org")
    assert refused.status_code == 400
    assert "organization" in refused.json()["fields"]
