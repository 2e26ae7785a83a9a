"""The two roles are Django groups; create them so administrators only assign members.

Moved from apps.api (its 0001_roles); get_or_create, so a database that ran that one
already is left as it is.
"""

from django.db import migrations

ROLES = ("moderator", "admin")


def create_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    group = apps.get_model("auth", "Group")
    for name in ROLES:
        group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
