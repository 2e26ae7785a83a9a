"""The audit log, the outbox and the scheduler lease moved into apps.core without moving
their tables: a database populated under the old apps migrates forwards and keeps every
row, its content types (so granted permissions) and the audit log's append-only trigger."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.core.models import AuditAction, AuditEntry, OutboxEntry, SchedulerLease

# Where the models lived before apps.core took them (the schema of main before the move).
BEFORE_MOVE = [
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
    ("submissions", "0002_audit_log_append_only"),
    ("linkcheck", "0001_initial"),
    ("core", None),
]


def migrate(targets: list[tuple[str, str | None]]):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def latest() -> list[tuple[str, str | None]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rows_and_permissions_survive_the_move_into_core() -> None:
    old = migrate(BEFORE_MOVE)
    try:
        content_type = old.get_model("contenttypes", "ContentType")
        permission = old.get_model("auth", "Permission")
        group = old.get_model("auth", "Group")
        # As a database built before the move has them: content types under the old apps,
        # and a permission on one of them granted to a group.
        audit_type, _ = content_type.objects.get_or_create(
            app_label="submissions", model="auditentry"
        )
        content_type.objects.filter(app_label="core").delete()
        for model in ("outboxentry", "schedulerlease"):
            content_type.objects.get_or_create(app_label="linkcheck", model=model)
        view_audit, _ = permission.objects.get_or_create(
            content_type=audit_type, codename="view_auditentry", defaults={"name": "Can view"}
        )
        readers = group.objects.create(name="audit readers")
        readers.permissions.add(view_audit)

        old_entry = old.get_model("submissions", "AuditEntry").objects.create(
            action="approved", actor_name="mona", story_id=7, story_slug="a-story",
            submission_id=11, message="kept", before={"title": "Before"},
        )  # fmt: skip
        old_outbox = old.get_model("linkcheck", "OutboxEntry").objects.create(
            task="apps.linkcheck.tasks.check_source", args=[3]
        )
        now = timezone.now()
        old_lease = old.get_model("linkcheck", "SchedulerLease").objects.create(
            name="celery-beat", holder="beat-1", acquired_at=now, renewed_at=now,
            expires_at=now + datetime.timedelta(minutes=1), transitions=4,
        )  # fmt: skip
    finally:
        migrate(latest())

    entry = AuditEntry.objects.get(pk=old_entry.pk)
    assert (entry.action, entry.actor_name, entry.story_id, entry.submission_id) == (
        AuditAction.APPROVED,
        "mona",
        7,
        11,
    )
    assert (entry.story_slug, entry.message, entry.before) == (
        "a-story",
        "kept",
        {"title": "Before"},
    )
    outbox = OutboxEntry.objects.pending().get()
    assert (outbox.pk, outbox.task, outbox.args) == (
        old_outbox.pk,
        "apps.linkcheck.tasks.check_source",
        [3],
    )
    lease = SchedulerLease.objects.get()
    assert (lease.pk, lease.holder, lease.transitions) == (old_lease.pk, "beat-1", 4)

    # The content type was renamed in place: same id, so the group keeps its permission.
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    moved = ContentType.objects.get_for_model(AuditEntry)
    assert moved.pk == audit_type.pk
    assert not ContentType.objects.filter(app_label="submissions", model="auditentry").exists()
    assert {
        ct.app_label
        for ct in ContentType.objects.filter(model__in=["outboxentry", "schedulerlease"])
    } == {"core"}
    assert list(
        Group.objects.get(name="audit readers").permissions.values_list(
            "content_type__app_label", "codename"
        )
    ) == [("core", "view_auditentry")]

    # New rows go to the same tables and the log is still append-only in the database.
    AuditEntry.objects.create(action=AuditAction.SUBMITTED, actor_name="next")
    assert AuditEntry.objects.count() == 2
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE submissions_auditentry SET message = 'rewritten'")


@pytest.mark.django_db
def test_the_moved_models_state_matches_their_tables() -> None:
    """State-only moves are honest only if the tables hold what the new state says: every
    column, and an index wherever a field asks for one."""
    with connection.cursor() as cursor:
        for model in (AuditEntry, OutboxEntry, SchedulerLease):
            table = model._meta.db_table
            columns = {
                c.name for c in connection.introspection.get_table_description(cursor, table)
            }
            assert columns == {field.column for field in model._meta.concrete_fields}
            indexed = {
                tuple(info["columns"])
                for info in connection.introspection.get_constraints(cursor, table).values()
                if info["index"] or info["unique"]
            }
            for field in model._meta.concrete_fields:
                if (field.db_index or field.unique) and not field.primary_key:
                    assert (field.column,) in indexed, (table, field.column)
