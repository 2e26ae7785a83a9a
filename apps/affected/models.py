"""Affected and fixed version ranges of upstream issues (see `apps.affected.ranges`)."""

from dataclasses import fields

from django.db import models
from django.db.models import Q

from apps.affected.ranges import Range
from apps.affected.versions import PRODUCTS
from apps.catalog.models import UpstreamIssue


class VersionRange(models.Model):
    """One OSV range of one product for one upstream issue, with the evidence it was
    read from. An issue without ranges has unknown affected versions."""

    upstream_issue = models.ForeignKey(
        UpstreamIssue, on_delete=models.CASCADE, related_name="version_ranges"
    )
    position = models.PositiveSmallIntegerField(default=0)
    product = models.CharField(max_length=40, choices=[(p.slug, p.name) for p in PRODUCTS.values()])
    component = models.CharField(max_length=40, blank=True)
    introduced = models.CharField(
        max_length=100, help_text='"0" means every version before the fix.'
    )
    fixed = models.CharField(max_length=100, blank=True)
    last_affected = models.CharField(max_length=100, blank=True)
    evidence = models.URLField(max_length=500, help_text="Where the range was read.")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["upstream_issue_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["upstream_issue", "position"], name="version_range_unique_position"
            ),
            models.CheckConstraint(
                condition=Q(fixed="") | Q(last_affected=""),
                name="version_range_one_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.upstream_issue_id}: {self.as_range().describe()}"

    def as_range(self) -> Range:
        # The model's columns are the record's fields, by the same names.
        return Range(**{f.name: getattr(self, f.name) for f in fields(Range)})
