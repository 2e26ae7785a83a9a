"""A story changed anywhere but its file is kept by the next import: an API PATCH or PUT, an
admin edit and an approved edit all make it a web story, and `import_stories` refuses the
now-different file, naming `export_stories`, instead of silently undoing the change. A
retraction is not a content change: the file story stays a file story, and retracted.
Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from rest_framework.test import APIClient

from apps.catalog import importing
from apps.catalog.admin import StoryAdmin
from apps.catalog.models import Story, StoryOrigin, StoryStatus
from apps.catalog.services import StoryChanges, story_update
from apps.submissions.services import story_retract, submission_approve, submission_create
from tests.api.conftest import client_for
from tests.conftest import FixtureTree
from tests.submissions.conftest import edit_payload, make_user

pytestmark = pytest.mark.django_db

SLUG = "2019-example-corp-coredns-oom"
EDITED = "CoreDNS ran out of memory, as edited on the site"


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def api_patch(story: Story) -> None:
    client: APIClient = client_for(make_user("mona", "moderator"))
    url = f"/api/v1/stories/{story.slug}/"
    etag = client.get(url)["ETag"]
    response = client.patch(url, {"title": EDITED}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content


def api_put(story: Story) -> None:
    client: APIClient = client_for(make_user("mona", "moderator"))
    url = f"/api/v1/stories/{story.slug}/"
    current = client.get(url)
    body = {
        "title": EDITED,
        "summary": story.summary,
        "status": story.status,
        "components": [c.slug for c in story.components.all()],
        "platforms": [p.slug for p in story.platforms.all()],
        "impact": [i.slug for i in story.impacts.all()],
    }
    response = client.put(url, body, format="json", HTTP_IF_MATCH=current["ETag"])
    assert response.status_code == 200, response.content


def admin_edit(story: Story) -> None:
    editor = User.objects.create_superuser("edith", password="pw-edith-long-enough")
    model_admin = StoryAdmin(Story, django_admin.site)
    request = RequestFactory().post("/admin/")
    request.user = editor
    form_class = model_admin.get_form(request, story, change=True)
    data = {
        "title": EDITED,
        "slug": story.slug,
        "organization": story.organization_id,
        "status": story.status,
        "summary": story.summary,
        "published_on": story.published_on.isoformat(),
        "date_precision": story.date_precision,
        "components": [c.pk for c in story.components.all()],
        "platforms": [p.pk for p in story.platforms.all()],
        "impacts": [i.pk for i in story.impacts.all()],
        "verification": story.verification,
        "expected_version": story.version,
    }
    form = form_class(data=data, instance=story)
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, True)
    model_admin.save_related(request, form, [], True)


def approved_edit(story: Story) -> None:
    submission = submission_create(payload=edit_payload(story, title=EDITED), story=story)
    moderator = make_user("mod", "moderator")
    submission_approve(submission=submission, moderator=moderator, expected_version=1)


@pytest.mark.parametrize(
    "change", [api_patch, api_put, admin_edit, approved_edit], ids=lambda f: f.__name__
)
def test_an_edit_made_on_the_site_survives_the_next_import(
    fixture_tree: FixtureTree, change: Callable[[Story], None]
) -> None:
    fixture_tree.story()
    run("import_stories")
    story = Story.objects.get(slug=SLUG)
    assert story.origin == StoryOrigin.FILE

    change(story)
    edited = Story.objects.get(slug=SLUG)
    assert (edited.title, edited.origin, edited.version) == (EDITED, StoryOrigin.WEB, 2)

    err = StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_stories", stdout=StringIO(), stderr=err)
    assert f"slug '{SLUG}' belongs to a web story with different content" in err.getvalue()
    assert f"export_stories --slug {SLUG}" in err.getvalue()
    kept = Story.objects.get(slug=SLUG)
    assert (kept.title, kept.origin, kept.version) == (EDITED, StoryOrigin.WEB, 2)

    # Exported, the edit is in the file, and the next import adopts the story again.
    assert "1 file(s) written" in run("export_stories", "--slug", SLUG)
    assert "web stories now kept as files" in run("import_stories")
    adopted = Story.objects.get(slug=SLUG)
    assert (adopted.title, adopted.origin) == (EDITED, StoryOrigin.FILE)


def test_a_status_change_alone_keeps_the_file_story_and_survives_the_import(
    fixture_tree: FixtureTree,
) -> None:
    fixture_tree.story()
    run("import_stories")
    story = Story.objects.get(slug=SLUG)
    moderator = make_user("mod", "moderator")
    story_retract(story=story, moderator=moderator, expected_version=1, reason="Made up.")
    assert "Nothing changed" in run("import_stories")
    kept = Story.objects.get(slug=SLUG)
    assert (kept.status, kept.origin, kept.version) == (StoryStatus.RETRACTED, StoryOrigin.FILE, 2)


def test_a_patch_to_a_stale_version_changes_nothing(fixture_tree: FixtureTree) -> None:
    fixture_tree.story()
    run("import_stories")
    client: Any = client_for(make_user("mona", "moderator"))
    url = f"/api/v1/stories/{SLUG}/"
    etag = client.get(url)["ETag"]
    Story.objects.filter(slug=SLUG).update(version=5)
    response = client.patch(url, {"title": EDITED}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    story = Story.objects.get(slug=SLUG)
    assert (story.title, story.origin, story.version) != (EDITED, StoryOrigin.WEB, 6)
    assert story.origin == StoryOrigin.FILE


def test_an_edit_made_while_the_import_runs_makes_it_write_nothing(
    fixture_tree: FixtureTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import follows the version rule of every change (stories_claim): a story it
    read as a file story and that a moderator edits before it writes is not overwritten."""
    fixture_tree.story()
    run("import_stories")
    fixture_tree.story(**{"What happened, in our own words.": "Changed in the file."})
    read = importing._stored_records

    def read_then_edited(*args: Any, **kwargs: Any) -> Any:
        found = read(*args, **kwargs)
        story = Story.objects.get(slug=SLUG)
        story_update(
            story=story, expected_version=story.version, changes=StoryChanges(title=EDITED)
        )
        return found

    monkeypatch.setattr(importing, "_stored_records", read_then_edited)
    with pytest.raises(CommandError, match=f"the story '{SLUG}' changed while it ran"):
        call_command("import_stories", stdout=StringIO(), stderr=StringIO())
    # Here the edit ran in the import's own transaction, so it is rolled back with it; on
    # the site it commits on its own, and the import writes nothing over it.
    kept = Story.objects.get(slug=SLUG)
    assert (kept.origin, kept.version) == (StoryOrigin.FILE, 1)
    assert "Changed in the file." not in kept.summary
