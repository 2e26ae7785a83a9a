"""The audit log, the outbox and the scheduler lease move here from apps.submissions and
apps.linkcheck. Their tables stay as they are (db_table), so this only moves the models in
Django's state; existing rows are untouched. Their content types are renamed in place, so
permissions granted on them, and admin log entries about them, follow.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = {"auditentry": "submissions", "outboxentry": "linkcheck", "schedulerlease": "linkcheck"}


def move_content_types(apps, schema_editor):  # type: ignore[no-untyped-def]
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model, app_label in MOVED.items():
        if not content_type.objects.using(db).filter(app_label="core", model=model).exists():
            content_type.objects.using(db).filter(app_label=app_label, model=model).update(
                app_label="core"
            )


def move_content_types_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model, app_label in MOVED.items():
        if not content_type.objects.using(db).filter(app_label=app_label, model=model).exists():
            content_type.objects.using(db).filter(app_label="core", model=model).update(
                app_label=app_label
            )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        # The tables were created there.
        ("linkcheck", "0001_initial"),
        ("submissions", "0002_audit_log_append_only"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="SchedulerLease",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100, unique=True)),
                        ("holder", models.CharField(max_length=200)),
                        ("acquired_at", models.DateTimeField()),
                        ("renewed_at", models.DateTimeField()),
                        ("expires_at", models.DateTimeField()),
                        ("transitions", models.PositiveIntegerField(default=0)),
                    ],
                    options={"db_table": "linkcheck_schedulerlease"},
                ),
                migrations.CreateModel(
                    name="OutboxEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("task", models.CharField(max_length=200)),
                        ("args", models.JSONField(default=list)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
                    ],
                    options={
                        "verbose_name_plural": "outbox entries",
                        "db_table": "linkcheck_outboxentry",
                        "ordering": ["created_at", "id"],
                        "indexes": [models.Index(fields=["sent_at", "created_at"], name="outbox_pending_idx")],
                    },
                ),
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("actor_name", models.CharField(help_text="User name, or who acted without one.", max_length=150)),
                        ("action", models.CharField(choices=[("submitted", "Submitted"), ("revised", "Revised by the submitter"), ("approved", "Approved"), ("rejected", "Rejected"), ("changes_requested", "Changes requested"), ("retracted", "Story retracted"), ("story_edited", "Story edited"), ("story_imported", "Story imported from its file")], max_length=20)),
                        # The columns of the former foreign keys (without constraints), now plain ids.
                        ("submission_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ("story_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ("story_slug", models.CharField(blank=True, max_length=200)),
                        ("message", models.TextField(blank=True)),
                        ("before", models.JSONField(blank=True, null=True)),
                        ("after", models.JSONField(blank=True, null=True)),
                        ("actor", models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name_plural": "audit entries",
                        "db_table": "submissions_auditentry",
                        "ordering": ["at", "pk"],
                        "constraints": [models.CheckConstraint(condition=models.Q(("action__in", ["submitted", "revised", "approved", "rejected", "changes_requested", "retracted", "story_edited", "story_imported"])), name="audit_action_valid")],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
