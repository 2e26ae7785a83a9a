from django import template
from django.utils.safestring import SafeString

from apps.catalog.rendering import render_markdown
from apps.linkcheck.health import archived_url as wayback_url

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """Render Markdown through the project's one sanitizing renderer."""
    return render_markdown(text)


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    return mapping.get(key) if mapping else None


@register.filter(name="archived_url")
def archived_url_filter(url: str) -> str:
    """The Wayback Machine's snapshots of a source URL, for links that appear broken."""
    return wayback_url(url)
