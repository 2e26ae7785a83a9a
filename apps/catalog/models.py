"""The catalogue: stories, where they were told, and what they involve."""

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from django.db import models, transaction
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, Value, When
from django.utils import timezone
from django.utils.safestring import SafeString

from apps.catalog.exceptions import StoryVersionConflict
from apps.catalog.rendering import rendered_fields, stored_html, validate_markdown
from apps.catalog.slugs import filtered_url, slug_url
from apps.core.limits import MAX_LINK_NOTE, MAX_ORGANIZATION, MAX_SLUG, MAX_TITLE, MAX_URL


def _save_rendered(obj: models.Model, source: str, html: str, kwargs: dict) -> None:
    """Store the HTML (and excerpt) of a Markdown field whenever the field is saved."""
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and source not in update_fields:
        return
    rendered, excerpt = rendered_fields(getattr(obj, source))
    setattr(obj, html, rendered)
    derived = {html}
    if hasattr(obj, "excerpt"):
        obj.excerpt = excerpt
        derived.add("excerpt")
    if update_fields is not None:
        kwargs["update_fields"] = {*update_fields, *derived}


class UpstreamTracker(models.TextChoices):
    GITHUB = "github", "GitHub"
    KERNEL_BUGZILLA = "kernel-bugzilla", "Kernel Bugzilla"


class UpstreamKind(models.TextChoices):
    ISSUE = "issue", "Issue"
    PULL_REQUEST = "pull", "Pull request"


class UpstreamState(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    MERGED = "merged", "Merged"


class StoryStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETRACTED = "retracted", "Retracted"


class StoryOrigin(models.TextChoices):
    FILE = "file", "Story file"
    WEB = "web", "Web submission"


class DatePrecision(models.TextChoices):
    YEAR = "year", "Year"
    MONTH = "month", "Month"
    DAY = "day", "Day"


class Verification(models.TextChoices):
    SOURCE = "source", "Checked against the source"
    LISTING = "listing", "From a public listing only"


class SourceKind(models.TextChoices):
    POSTMORTEM = "postmortem", "Postmortem"
    INCIDENT_REPORT = "incident-report", "Incident report"
    BLOG_POST = "blog-post", "Blog post"
    TALK = "talk", "Talk"
    SLIDES = "slides", "Slides"
    ISSUE = "issue", "Issue"


# The one rule of visibility: a story is public when it is published, and anything else is
# public through a public story. Every `public()` and public count below is built from it.
PUBLIC_STATUS = StoryStatus.PUBLISHED


def public_story_filter(path: str = "") -> Q:
    """Rows whose story, reached through `path` ("", "story__", "stories__"), is public."""
    return Q(**{f"{path}status": PUBLIC_STATUS})


def public_story_count(path: str = "stories") -> Count:
    """How many public stories a row has, through the relation `path`."""
    return Count(path, filter=public_story_filter(f"{path}__"), distinct=True)


class ComponentArea(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ComponentQuerySet(models.QuerySet["Component"]):
    def public(self) -> "ComponentQuerySet":
        """The taxonomy is public whole, with or without stories."""
        return self.all()

    def with_public_story_counts(self) -> "ComponentQuerySet":
        return self.annotate(story_count=public_story_count())


class Component(models.Model):
    area = models.ForeignKey(ComponentArea, on_delete=models.PROTECT, related_name="components")
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    aliases = models.JSONField(default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = ComponentQuerySet.as_manager()

    class Meta:
        ordering = ["area__position", "position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return slug_url("web:component-detail", self.slug)


class PlatformKind(models.TextChoices):
    """Who ran the control plane: the provider, the team, or either (a cloud named alone)."""

    MANAGED = "managed", "Managed Kubernetes"
    SELF_MANAGED = "self-managed", "Self-managed"
    INFRASTRUCTURE = "infrastructure", "Cloud or distribution"


class Platform(models.Model):
    Kind = PlatformKind

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(
        max_length=20, choices=PlatformKind.choices, default=PlatformKind.INFRASTRUCTURE
    )
    aliases = models.JSONField(default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The stories on this platform (a platform has no page of its own)."""
        return filtered_url("web:story-list", "platform", self.slug)


class ImpactKind(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    aliases = models.JSONField(default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class OrganizationQuerySet(models.QuerySet["Organization"]):
    def public(self) -> "OrganizationQuerySet":
        """An organization is public only through a public story."""
        return self.filter(Exists(Story.objects.public().filter(organization=OuterRef("pk"))))

    def with_public_story_counts(self) -> "OrganizationQuerySet":
        return self.annotate(story_count=public_story_count())


class Organization(models.Model):
    name = models.CharField(max_length=MAX_ORGANIZATION, unique=True)
    slug = models.SlugField(max_length=MAX_SLUG, unique=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return slug_url("web:organization-detail", self.slug)


class MitigationQuerySet(models.QuerySet["Mitigation"]):
    def public(self) -> "MitigationQuerySet":
        """Mitigations are curated: public whole, with or without stories."""
        return self.all()

    def with_public_story_counts(self) -> "MitigationQuerySet":
        return self.annotate(story_count=public_story_count())


class Mitigation(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.", validators=[validate_markdown])
    body_html = models.TextField(editable=False, default="", help_text="`body`, rendered.")
    components = models.ManyToManyField(Component, related_name="mitigations", blank=True)
    links = models.JSONField(
        default=list, blank=True, help_text="Reference links: a list of {url, title}."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = MitigationQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        _save_rendered(self, "body", "body_html", kwargs)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return slug_url("web:mitigation-detail", self.slug)

    @property
    def body_markup(self) -> SafeString:
        return stored_html(self.body_html)


class UpstreamIssueQuerySet(models.QuerySet["UpstreamIssue"]):
    def public(self) -> "UpstreamIssueQuerySet":
        """Issues linked to at least one public story."""
        return self.filter(
            Exists(StoryUpstreamIssue.objects.public().filter(upstream_issue=OuterRef("pk")))
        )


class UpstreamIssue(models.Model):
    Tracker = UpstreamTracker

    Kind = UpstreamKind

    State = UpstreamState

    url = models.URLField(max_length=500, unique=True)
    tracker = models.CharField(max_length=20, choices=Tracker.choices)
    owner = models.CharField(max_length=100)
    repo = models.CharField(max_length=100)
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.UNKNOWN)
    title = models.CharField(max_length=500, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    labels = models.JSONField(default=list, blank=True)
    milestone = models.CharField(max_length=200, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)
    etag = models.CharField(max_length=200, blank=True, help_text="ETag of the last API response.")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    objects = UpstreamIssueQuerySet.as_manager()

    class Meta:
        ordering = ["tracker", "owner", "repo", "number"]
        indexes = [
            # An import finds the issues its stories name by number (owner and repo match
            # in any case); without it, each batch read every issue.
            models.Index(fields=["number"], name="upstream_issue_number_idx"),
        ]
        constraints = [
            # Issues and pull requests share one number space per repository.
            models.UniqueConstraint(
                fields=["tracker", "owner", "repo", "number"], name="upstream_issue_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(tracker__in=UpstreamTracker.values), name="upstream_issue_tracker_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=UpstreamKind.values), name="upstream_issue_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=UpstreamState.values), name="upstream_issue_state_valid"
            ),
        ]

    def __str__(self) -> str:
        if self.tracker == self.Tracker.GITHUB:
            return f"{self.owner}/{self.repo}#{self.number}"
        return f"{self.get_tracker_display()} {self.number}"


class StoryQuerySet(models.QuerySet["Story"]):
    def public(self) -> "StoryQuerySet":
        """The only stories any public page, feed, API response or count may show."""
        return self.filter(public_story_filter())

    def with_component(self, slug: str) -> "StoryQuerySet":
        return self.filter(components__slug=slug)

    def from_files(self) -> "StoryQuerySet":
        return self.filter(origin=Story.Origin.FILE)

    def newest_first(self) -> "StoryQuerySet":
        return self.order_by("-published_on", "-created_at", "slug")

    def for_list(self) -> "StoryQuerySet":
        """A story with its organization, components, platforms and impacts, in a constant
        number of queries (the API's list; pages of cards use for_cards)."""
        return self.select_related("organization").prefetch_related(
            Prefetch("components", queryset=Component.objects.select_related("area")),
            "platforms",
            "impacts",
        )

    def for_cards(self) -> "StoryQuerySet":
        """A story card's row, with its organization; apps.catalog.cards.with_tags() adds
        the card's components, platforms and impacts for a whole page in one query."""
        return self.select_related("organization")

    def for_detail(self) -> "StoryQuerySet":
        return self.for_list().prefetch_related(
            "sources",
            Prefetch(
                "upstream_links",
                queryset=StoryUpstreamIssue.objects.select_related("upstream_issue"),
            ),
            Prefetch(
                "mitigation_links", queryset=StoryMitigation.objects.select_related("mitigation")
            ),
        )

    def claim(self, expected: Sequence[tuple["Story", int]], **fields: Any) -> None:
        """The version rule every change of a story follows: raise the version of each
        story that is still at its expected version, writing `fields` in the same UPDATE;
        if any is not, change none and raise StoryVersionConflict naming it.

        One statement, so of two concurrent writers exactly one succeeds. Each story gets
        its new version.
        """
        if not expected:
            return
        versions = {story.pk: version for story, version in expected}
        if len(versions) == 1:
            at_expected = Q(pk__in=versions, version=expected[0][1])
        else:
            # A CASE rather than one OR per story: SQLite bounds an expression's depth.
            wanted = Case(*(When(pk=pk, then=Value(v)) for pk, v in versions.items()))
            at_expected = Q(pk__in=versions, version=wanted)
        try:
            # A savepoint undoes a partial claim, so what moved can be read (one row
            # needs none: its UPDATE claims it or not).
            with transaction.atomic() if len(versions) > 1 else nullcontext():
                claimed = self.filter(at_expected).update(
                    version=models.F("version") + 1, updated_at=timezone.now(), **fields
                )
                if claimed != len(versions):
                    raise StoryVersionConflict(expected[0][0].slug)
        except StoryVersionConflict:
            current = dict(self.filter(pk__in=versions).values_list("pk", "version"))
            moved = next((s for s, v in expected if current.get(s.pk) != v), expected[0][0])
            raise StoryVersionConflict(moved.slug) from None
        for story, version in expected:
            story.version = version + 1


class Story(models.Model):
    Status = StoryStatus

    Origin = StoryOrigin

    DatePrecision = DatePrecision

    Verification = Verification

    title = models.CharField(max_length=MAX_TITLE)
    slug = models.SlugField(max_length=MAX_SLUG, unique=True)
    # None when the teller is not an organization (a person filing an upstream issue).
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="stories", null=True, blank=True
    )
    published_on = models.DateField(help_text="First day of the period when precision is coarse.")
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices)
    summary = models.TextField(help_text="Markdown.", validators=[validate_markdown])
    # Written with the summary, so pages, feeds and the API never run Markdown, and text
    # that leaves as anything but HTML (meta tags, feeds' titles, email) is plain text.
    summary_html = models.TextField(editable=False, default="", help_text="`summary`, rendered.")
    excerpt = models.CharField(
        max_length=300, editable=False, default="", help_text="The summary's first words, plain."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    origin = models.CharField(max_length=4, choices=Origin.choices)
    verification = models.CharField(
        max_length=10, choices=Verification.choices, default=Verification.LISTING
    )
    symptoms = models.JSONField(
        default=list,
        blank=True,
        help_text="Error messages, log lines, statuses and metric names, verbatim from the "
        "source; a list of text.",
    )
    components = models.ManyToManyField(Component, related_name="stories")
    platforms = models.ManyToManyField(Platform, related_name="stories", blank=True)
    impacts = models.ManyToManyField(ImpactKind, related_name="stories", blank=True)
    upstream_issues = models.ManyToManyField(
        UpstreamIssue, through="StoryUpstreamIssue", related_name="stories", blank=True
    )
    mitigations = models.ManyToManyField(
        Mitigation, through="StoryMitigation", related_name="stories", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Raised on every change; guards against lost concurrent edits."
    )

    objects = StoryQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "slug"]
        verbose_name_plural = "stories"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=StoryStatus.values), name="story_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=StoryOrigin.values), name="story_origin_valid"
            ),
            models.CheckConstraint(
                condition=Q(date_precision__in=DatePrecision.values),
                name="story_date_precision_valid",
            ),
            models.CheckConstraint(
                condition=Q(verification__in=Verification.values),
                name="story_verification_valid",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="story_version_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "-published_on"], name="story_status_date_idx"),
            # Pages of the list and the newest stories (home, feeds) skip rows in an index.
            models.Index(
                fields=["status", "-published_on", "slug"], name="story_status_date_slug_idx"
            ),
            models.Index(fields=["status", "-created_at", "slug"], name="story_status_added_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        _save_rendered(self, "summary", "summary_html", kwargs)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return slug_url("web:story-detail", self.slug)

    @property
    def summary_markup(self) -> SafeString:
        return stored_html(self.summary_html)

    @property
    def date_display(self) -> str:
        if self.date_precision == self.DatePrecision.YEAR:
            return f"{self.published_on:%Y}"
        if self.date_precision == self.DatePrecision.MONTH:
            return f"{self.published_on:%B %Y}"
        return f"{self.published_on:%-d %B %Y}"

    @property
    def date_value(self) -> str:
        """The date as written in story files: YYYY, YYYY-MM or YYYY-MM-DD."""
        if self.date_precision == self.DatePrecision.YEAR:
            return f"{self.published_on:%Y}"
        if self.date_precision == self.DatePrecision.MONTH:
            return f"{self.published_on:%Y-%m}"
        return self.published_on.isoformat()

    @property
    def is_public(self) -> bool:
        return self.status == PUBLIC_STATUS

    @property
    def year(self) -> int:
        return self.published_on.year

    def retract(self, *, expected_version: int) -> None:
        """Take the story off the site if it is still at `expected_version`.

        The check and the new version are one UPDATE, so of two concurrent writers exactly
        one succeeds; the other gets StoryVersionConflict.
        """
        Story.objects.claim([(self, expected_version)], status=self.Status.RETRACTED)
        self.refresh_from_db(fields=["status", "version", "updated_at"])


class SourceQuerySet(models.QuerySet["Source"]):
    def public(self) -> "SourceQuerySet":
        return self.filter(public_story_filter("story__"))


class Source(models.Model):
    Kind = SourceKind

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="sources")
    url = models.URLField(max_length=MAX_URL)
    canonical_url = models.URLField(max_length=MAX_URL, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=MAX_TITLE, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # Link health, written by the link checker.
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.URLField(max_length=1000, blank=True)
    consecutive_failures = models.PositiveSmallIntegerField(default=0)
    is_broken = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["story", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SourceKind.values), name="source_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.url


class StoryUpstreamIssueQuerySet(models.QuerySet["StoryUpstreamIssue"]):
    def public(self) -> "StoryUpstreamIssueQuerySet":
        return self.filter(public_story_filter("story__"))


class StoryUpstreamIssue(models.Model):
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="upstream_links")
    upstream_issue = models.ForeignKey(
        UpstreamIssue, on_delete=models.CASCADE, related_name="story_links"
    )
    note = models.CharField(max_length=MAX_LINK_NOTE, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = StoryUpstreamIssueQuerySet.as_manager()

    class Meta:
        ordering = ["story", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["story", "upstream_issue"], name="story_upstream_issue_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.story} → {self.upstream_issue}"


class StoryMitigationQuerySet(models.QuerySet["StoryMitigation"]):
    def public(self) -> "StoryMitigationQuerySet":
        return self.filter(public_story_filter("story__"))


class StoryMitigation(models.Model):
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="mitigation_links")
    mitigation = models.ForeignKey(Mitigation, on_delete=models.CASCADE, related_name="story_links")
    note = models.CharField(max_length=MAX_LINK_NOTE, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = StoryMitigationQuerySet.as_manager()

    class Meta:
        ordering = ["story", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["story", "mitigation"], name="story_mitigation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.story} → {self.mitigation}"


class CatalogueVersion(models.Model):
    """One row: the version of the stored aggregates, raised by each refresh that
    recomputes them (apps/catalog/aggregates.py)."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"catalogue version {self.value}"


class CatalogueAggregate(models.Model):
    """Counts over the whole public catalogue, computed once per catalogue version."""

    key = models.CharField(max_length=100, primary_key=True)
    version = models.BigIntegerField()
    data = models.JSONField()
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key} at version {self.version}"


class CatalogueChange(models.Model):
    """A log of writes that can change a public count (stories, their links, sources,
    taxonomy), appended to by database triggers whatever path made the write. Writers only
    insert, so they never wait for each other; a refresh of the stored aggregates deletes
    the entries it has accounted for. `story_id` names the story whose counted keys may have
    changed (None: only names or positions of the taxonomy, which the aggregates show);
    `recount` asks for every story to be counted again (apps/catalog/counts.py)."""

    id = models.BigAutoField(primary_key=True)
    story_id = models.BigIntegerField(null=True)
    recount = models.BooleanField(default=False, db_default=False)

    def __str__(self) -> str:
        return f"catalogue change {self.pk}"


class CatalogueCount(models.Model):
    """The number of public stories with one counted key (a component, a year, an
    organization...; see apps/catalog/counts.py), kept up to date by each refresh."""

    key = models.CharField(max_length=100, primary_key=True)
    stories = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.key}: {self.stories}"


class CountedStory(models.Model):
    """The keys a public story was counted under at the last refresh, so the next one
    subtracts exactly what was added. Not a foreign key: a deleted story's row stays until
    a refresh has subtracted it."""

    story_id = models.BigIntegerField(primary_key=True)
    keys = models.TextField()

    def __str__(self) -> str:
        return f"story {self.story_id}: {self.keys}"
