"""A story file shown as the site shows the story, for a pull request's job summary."""

from django.template.loader import render_to_string

from apps.catalog.models import Story
from apps.catalog.rendering import render_markdown
from apps.catalog.storyfiles.records import StoryRecord
from apps.catalog.storyfiles.taxonomy import Taxonomy


def story_preview(record: StoryRecord, *, taxonomy: Taxonomy, mitigations: dict[str, str]) -> str:
    """HTML for one story: its facts, sources and links, and the summary through the site's
    one Markdown renderer. `mitigations` maps slugs to titles."""

    def names(terms: list, slugs: tuple[str, ...]) -> list[str]:  # type: ignore[type-arg]
        by_slug = {term.slug: term.name for term in terms}
        return [by_slug.get(slug, slug) for slug in slugs]

    # The site's own date wording ("March 2019"), from an unsaved story.
    dated = Story(published_on=record.date, date_precision=record.date_precision)
    return render_to_string(
        "catalog/story_preview.html",
        {
            "story": record,
            "date_display": dated.date_display,
            "components": names(taxonomy.components, record.components),
            "platforms": names(taxonomy.platforms, record.platforms),
            "impacts": names(taxonomy.impacts, record.impacts),
            "mitigations": [
                (link, mitigations.get(link.slug, link.slug)) for link in record.mitigations
            ],
            "summary_html": render_markdown(record.summary),
        },
    )
