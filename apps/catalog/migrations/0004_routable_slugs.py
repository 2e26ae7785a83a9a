"""Rename story and organization slugs that no API URL routes ("_", capitals).

Web approvals used to keep "_" from the title, which made /api/v1/stories/ fail for
everyone. New slugs come from apps.catalog.slugs; this fixes the ones already stored.
"""

import re

from django.db import migrations

NOT_SLUG_RE = re.compile(r"[^a-z0-9]+")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _rename(model, fallback: str, limit: int) -> None:
    taken = set(model.objects.values_list("slug", flat=True))
    for row in model.objects.all().only("pk", "slug"):
        if SLUG_RE.match(row.slug):
            continue
        base = NOT_SLUG_RE.sub("-", row.slug.lower()).strip("-")[:limit].strip("-") or fallback
        slug, suffix = base, 2
        while slug in taken:
            slug, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(slug)
        model.objects.filter(pk=row.pk).update(slug=slug)


def routable_slugs(apps, schema_editor) -> None:
    _rename(apps.get_model("catalog", "Story"), "story", 190)
    _rename(apps.get_model("catalog", "Organization"), "organization", 190)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_stored_rendering")]

    operations = [migrations.RunPython(routable_slugs, migrations.RunPython.noop)]
