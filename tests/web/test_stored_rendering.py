"""A story's HTML and plain excerpt are written with it; pages, feeds and the API only read them."""

from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from django.core.management import call_command
from django.test import Client

from apps.catalog import rendering
from apps.catalog.models import Story
from apps.catalog.services import StoryChanges, story_update
from tests.factories import MitigationFactory, StoryFactory

pytestmark = pytest.mark.django_db

REFRESH = '0;url=http://evil.example/" http-equiv="refresh" data-x="'
ATOM = "{http://www.w3.org/2005/Atom}"


class MetaCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.metas: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self.metas.append(dict(attrs))


def metas(html: str) -> list[dict[str, str | None]]:
    collector = MetaCollector()
    collector.feed(html)
    return collector.metas


def meta_content(html: str, key: str, value: str) -> str | None:
    (meta,) = [m for m in metas(html) if m.get(key) == value]
    return meta.get("content")


def test_a_quote_in_a_summary_stays_inside_the_meta_attribute(client: Client) -> None:
    story = StoryFactory(summary=REFRESH + " and *more*", title='Title "with" <quotes>')
    html = client.get(story.get_absolute_url()).content.decode()

    assert not [m for m in metas(html) if "http-equiv" in m]
    expected = '0;url=http://evil.example/" http-equiv="refresh" data-x=" and more'
    assert meta_content(html, "name", "description") == expected
    assert meta_content(html, "property", "og:description") == expected
    assert meta_content(html, "property", "og:title") == 'Title "with" <quotes>'


def test_the_excerpt_is_plain_text_of_at_most_forty_words() -> None:
    story = StoryFactory(
        summary="## Heading\n\n" + "**word** " * 60 + "\n\n[a link](https://a.example)"
    )
    assert story.excerpt == "Heading " + "word " * 38 + "word…"
    assert "<" not in story.excerpt and len(story.excerpt) <= 300
    long_words = StoryFactory(summary="x" * 1000)
    assert len(long_words.excerpt) == 300 and long_words.excerpt.endswith("…")


def test_every_write_path_keeps_the_stored_html_current() -> None:
    story = StoryFactory(summary="first *version*")
    assert story.summary_html == "<p>first <em>version</em></p>"

    story_update(
        story=story,
        expected_version=story.version,
        changes=StoryChanges(summary="second **version**"),
    )
    story.refresh_from_db()
    assert story.summary_html == "<p>second <strong>version</strong></p>"
    assert story.excerpt == "second version"

    story.summary = "third `version`"
    story.save(update_fields=["summary"])
    story.refresh_from_db()
    assert story.summary_html == "<p>third <code>version</code></p>"

    mitigation = MitigationFactory(body="Set `ndots: 2`.")
    assert mitigation.body_html == "<p>Set <code>ndots: 2</code>.</p>"


def test_pages_feeds_and_the_api_never_run_markdown(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    story = StoryFactory(summary="Rendered *once*, when written.")
    mitigation = MitigationFactory(body="Mitigation *body*.")

    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("Markdown ran while reading")

    monkeypatch.setattr(rendering._PARSER, "render", refuse)
    page = client.get(story.get_absolute_url()).content.decode()
    assert "Rendered <em>once</em>, when written." in page
    assert "Mitigation <em>body</em>." in client.get(mitigation.get_absolute_url()).content.decode()
    api = client.get(f"/api/v1/stories/{story.slug}/").json()
    assert api["summary_html"] == "<p>Rendered <em>once</em>, when written.</p>"
    feed = ElementTree.fromstring(client.get("/feeds/stories.atom").content)
    (entry,) = feed.iter(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}summary") == "<p>Rendered <em>once</em>, when written.</p>"


def test_curated_stories_have_well_formed_descriptions(client: Client) -> None:
    call_command("import_stories", verbosity=0)
    for story in Story.objects.public():
        html = client.get(story.get_absolute_url()).content.decode()
        description = meta_content(html, "name", "description")
        assert description == story.excerpt, story.slug
        assert description and "<" not in description and "**" not in description
