"""The audit log is append-only: in the model, in the admin and in the database itself."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from apps.catalog.models import Story
from apps.core.models import AppendOnly, AuditAction, AuditEntry
from apps.submissions.models import Submission
from apps.submissions.services import story_retract, submission_approve, submission_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(payload: dict[str, Any], moderator: User) -> AuditEntry:
    """A submission approved into a story: two entries, the second with snapshots."""
    submission = submission_create(payload=payload, note="Please add.")
    submission_approve(submission=submission, moderator=moderator, expected_version=1)
    return AuditEntry.objects.get(action=AuditAction.APPROVED)


def stored(entry: AuditEntry) -> dict[str, Any]:
    return AuditEntry.objects.values().get(pk=entry.pk)


# --- the model ------------------------------------------------------------------------------


def test_saving_an_existing_entry_is_refused(logged: AuditEntry) -> None:
    before = stored(logged)
    logged.message = "rewritten"
    with pytest.raises(AppendOnly):
        logged.save()
    with pytest.raises(AppendOnly):
        logged.save(update_fields=["message"])
    assert stored(logged) == before


def test_queryset_update_and_bulk_update_are_refused(logged: AuditEntry) -> None:
    before = stored(logged)
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=logged.pk).update(message="rewritten")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.update(actor_name="nobody")
    logged.message = "rewritten"
    with pytest.raises(AppendOnly), transaction.atomic():
        AuditEntry.objects.bulk_update([logged], ["message"])
    assert stored(logged) == before


def test_delete_and_queryset_delete_are_refused(logged: AuditEntry) -> None:
    with pytest.raises(AppendOnly):
        logged.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=logged.pk).delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 2


def test_new_entries_can_still_be_added(logged: AuditEntry) -> None:
    AuditEntry.objects.create(action=AuditAction.STORY_IMPORTED, actor_name="import")
    assert AuditEntry.objects.count() == 3


# --- the database -------------------------------------------------------------------------


def test_the_database_refuses_a_raw_update(logged: AuditEntry) -> None:
    before = stored(logged)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE submissions_auditentry SET message = %s WHERE id = %s",
            ["rewritten", logged.pk],
        )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE submissions_auditentry SET after = NULL")
    assert stored(logged) == before


@pytest.mark.postgres
def test_postgres_refuses_a_raw_delete(logged: AuditEntry) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM submissions_auditentry WHERE id = %s", [logged.pk])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM submissions_auditentry")
    assert AuditEntry.objects.count() == 2


# --- deleting what the log refers to ----------------------------------------------------------


def test_deleting_a_story_keeps_its_entries(logged: AuditEntry, moderator: User) -> None:
    story = Story.objects.get()
    story = story_retract(story=story, moderator=moderator, expected_version=1, reason="Fake.")
    slug, story_id = story.slug, story.pk
    before = {row["id"]: row for row in AuditEntry.objects.values()}
    Story.objects.filter(pk=story_id).delete()
    assert not Story.objects.exists()
    after = {row["id"]: row for row in AuditEntry.objects.values()}
    assert after == before
    kept = AuditEntry.objects.filter(story_slug=slug).order_by("pk")
    assert [e.action for e in kept] == [AuditAction.APPROVED, AuditAction.RETRACTED]
    assert all(e.story_id == story_id for e in kept)
    assert kept[1].before["status"] == "published"
    # The submission lost its link to the story; the log did not.
    assert Submission.objects.get().story is None


def test_deleting_a_user_or_submission_keeps_the_entries(
    logged: AuditEntry, moderator: User
) -> None:
    before = {row["id"]: row for row in AuditEntry.objects.values()}
    moderator.delete()
    Submission.objects.all().delete()
    assert {row["id"]: row for row in AuditEntry.objects.values()} == before
    assert AuditEntry.objects.get(pk=logged.pk).actor_name == "mona"


# --- the admin ----------------------------------------------------------------------------


def test_admin_shows_entries_but_never_adds_changes_or_deletes(
    admin_client: Client, logged: AuditEntry
) -> None:
    before = stored(logged)
    changelist = reverse("admin:core_auditentry_changelist")
    page = admin_client.get(changelist)
    assert page.status_code == 200
    assert "mona" in page.content.decode()
    assert reverse("admin:core_auditentry_add") not in page.content.decode()

    change = reverse("admin:core_auditentry_change", args=[logged.pk])
    view = admin_client.get(change)
    assert view.status_code == 200  # read-only view
    assert 'name="_save"' not in view.content.decode()
    assert (
        admin_client.post(change, {"message": "rewritten", "action": "approved"}).status_code == 403
    )

    assert admin_client.get(reverse("admin:core_auditentry_add")).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:core_auditentry_add"),
            {"action": "approved", "actor_name": "forger"},
        ).status_code
        == 403
    )
    delete = reverse("admin:core_auditentry_delete", args=[logged.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    admin_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [logged.pk], "post": "yes"},
    )
    assert stored(logged) == before
    assert AuditEntry.objects.count() == 2


def test_admin_never_adds_or_deletes_submissions_nor_shows_the_tracking_token(
    admin_client: Client, logged: AuditEntry
) -> None:
    submission = Submission.objects.get()
    assert admin_client.get(reverse("admin:submissions_submission_add")).status_code == 403
    delete = reverse("admin:submissions_submission_delete", args=[submission.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    page = admin_client.get(reverse("admin:submissions_submission_change", args=[submission.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert submission.tracking_token not in html
    # The inline log is shown, read-only.
    assert "Please add." in html
    assert Submission.objects.filter(pk=submission.pk).exists()


def admin_form_data(story: Story, **changes: Any) -> dict[str, Any]:
    """What the admin's story form posts for `story`, with `changes` applied."""
    return {
        "title": story.title,
        "slug": story.slug,
        "organization": story.organization_id,
        "status": story.status,
        "summary": story.summary,
        "published_on": story.published_on.isoformat(),
        "date_precision": story.date_precision,
        "components": [c.pk for c in story.components.all()],
        "verification": story.verification,
        **changes,
    }


def test_story_changes_and_deletes_in_the_admin_are_logged(rf: Any, published_story: Any) -> None:
    from django.contrib import admin as django_admin

    from apps.catalog.admin import StoryAdmin

    editor = User.objects.create_superuser("edith", password="pw-edith-long-enough")
    model_admin = StoryAdmin(Story, django_admin.site)
    request = rf.post("/admin/")
    request.user = editor
    form_class = model_admin.get_form(request, published_story, change=True)
    data = admin_form_data(published_story, title="etcd ran out of space, again")
    form = form_class(data=data, instance=published_story)
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, True)
    model_admin.save_related(request, form, [], True)

    entry = AuditEntry.objects.get(action=AuditAction.STORY_EDITED)
    assert entry.actor_name == "edith"
    assert entry.before["title"] == "etcd ran out of space"
    assert entry.after["title"] == "etcd ran out of space, again"
    assert entry.after["version"] == entry.before["version"] + 1

    slug = published_story.slug
    model_admin.delete_model(request, Story.objects.get(slug=slug))
    # Logged as a deletion, not as an edit.
    deleted = AuditEntry.objects.get(action=AuditAction.STORY_DELETED)
    assert deleted.message == "Deleted in the admin."
    assert AuditEntry.objects.filter(action=AuditAction.STORY_EDITED).count() == 1
    assert deleted.story_slug == slug and deleted.before["title"] == "etcd ran out of space, again"


def test_admin_refuses_to_save_over_a_newer_change(rf: Any, published_story: Any) -> None:
    from django.contrib import admin as django_admin

    from apps.catalog.admin import StoryAdmin

    editor = User.objects.create_superuser("eve", password="pw-eve-long-enough")
    model_admin = StoryAdmin(Story, django_admin.site)
    request = rf.get("/admin/")
    request.user = editor
    form_class = model_admin.get_form(request, published_story, change=True)
    opened_at = published_story.version
    Story.objects.filter(pk=published_story.pk).update(version=opened_at + 1)  # someone saved
    data = admin_form_data(published_story, title="A stale title", expected_version=opened_at)
    form = form_class(data=data, instance=Story.objects.get(pk=published_story.pk))
    assert not form.is_valid()
    assert "Someone else changed this story" in str(form.non_field_errors())
    data["expected_version"] = opened_at + 1
    assert form_class(data=data, instance=Story.objects.get(pk=published_story.pk)).is_valid()


def test_admin_change_page_carries_the_version_it_shows(
    client: Client, published_story: Any
) -> None:
    client.force_login(User.objects.create_superuser("ed", password="pw-ed-long-enough"))
    page = client.get(reverse("admin:catalog_story_change", args=[published_story.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="expected_version" value="{published_story.version}"' in html
