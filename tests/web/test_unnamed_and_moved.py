"""Stories told by no organization, and old slugs that moved."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from apps.catalog.models import Story
from apps.catalog.redirects import load_redirects
from tests.conftest import FixtureTree
from tests.factories import OrganizationFactory, StoryFactory

pytestmark = pytest.mark.django_db


def test_a_story_without_organization_imports_and_renders_everywhere(
    fixture_tree: FixtureTree, client: Client
) -> None:
    fixture_tree.story(**{"organization: Example Corp\n": ""})
    call_command("import_stories", stdout=StringIO())

    story = Story.objects.get(slug="2019-example-corp-coredns-oom")
    assert story.organization is None
    page = client.get(story.get_absolute_url())
    assert page.status_code == 200
    assert "/organizations/" not in page.content.decode().split("<main", 1)[1].split("</header>")[0]
    assert client.get(reverse("web:story-list")).status_code == 200
    assert client.get(reverse("web:feed-stories")).status_code == 200
    api = client.get(f"/api/v1/stories/{story.slug}/").json()
    assert api["organization"] is None
    home = client.get(reverse("web:home")).content.decode()
    assert "Organizations" in home

    # Exported back, the file still has no organization line and imports unchanged.
    out = StringIO()
    call_command("import_stories", stdout=out)
    assert "Nothing changed" in out.getvalue()


def test_organization_counts_leave_out_stories_without_one(client: Client) -> None:
    StoryFactory(organization=None)
    StoryFactory(organization=OrganizationFactory(name="Named", slug="named"))

    listing = client.get(reverse("web:organization-list")).content.decode()
    assert "Named" in listing
    assert client.get("/api/v1/stories/").status_code == 200


def test_an_old_organization_slug_redirects_permanently(
    fixture_tree: FixtureTree, client: Client
) -> None:
    (fixture_tree.root / "redirects.yaml").write_text("organizations:\n  old-name: new-name\n")
    StoryFactory(organization=OrganizationFactory(name="New name", slug="new-name"))

    response = client.get("/organizations/old-name/?page=2")
    assert response.status_code == 301
    assert response["Location"] == "/organizations/new-name/?page=2"
    assert client.get("/organizations/never-was/").status_code == 404


def test_the_shipped_redirects_move_xing_2_to_xing(client: Client) -> None:
    StoryFactory(organization=OrganizationFactory(name="XING", slug="xing"))
    response = client.get("/organizations/xing-2/")
    assert (response.status_code, response["Location"]) == (301, "/organizations/xing/")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("people:\n  a: b\n", "people: unknown kind"),
        ("organizations:\n  a: a\n", "must point at a slug that does not move"),
        ("organizations:\n  a: b\n  b: c\n", "must point at a slug that does not move"),
        ("organizations:\n  A_B: c\n", "is not a slug pair"),
    ],
)
def test_bad_redirects_are_named(fixture_tree: FixtureTree, text: str, expected: str) -> None:
    (fixture_tree.root / "redirects.yaml").write_text(text)
    _, problems = load_redirects(fixture_tree.root)
    assert any(expected in str(problem) for problem in problems), problems
