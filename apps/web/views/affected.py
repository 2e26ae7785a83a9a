"""`/affected/`: the bugs a cluster's versions are inside, and an Atom feed per version set.

Versions come as a GET query (`?kubernetes=1.27.4&etcd=3.5.2`, shareable) or as a
pasted command output sent by POST, so node names and addresses in the paste never end
up in a URL, a log line or a browser history. Nothing is stored: the answer is
computed from the request alone.
"""

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from apps.affected.matching import AffectedResult, Versions, check_versions, read_versions
from apps.affected.pastes import MAX_PASTE_LENGTH, parse_paste
from apps.affected.versions import PRODUCTS
from apps.catalog.models import Story
from apps.web.feeds import FEED_SIZE, _for_feed, _StoryFeed

# Parameters of the page that are not products.
_PAGE_PARAMETERS = frozenset({"paste", "csrfmiddlewaretoken"})


def versions_from_query(query: QueryDict) -> Versions:
    return read_versions(
        {name: query.getlist(name) for name in query if name not in _PAGE_PARAMETERS}
    )


class AffectedView(View):
    template_name = "affected/affected.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._answer(request, versions_from_query(request.GET), notes=[])

    def post(self, request: HttpRequest) -> HttpResponse:
        text = request.POST.get("paste", "")
        paste = parse_paste(text)
        versions = read_versions(paste.versions)
        versions.problems[:0] = paste.problems
        if not text.strip():
            versions.problems.append("Nothing was pasted.")
        elif not paste.versions and not paste.problems:
            versions.problems.append("No version was found in the paste.")
        return self._answer(request, versions, notes=paste.notes, paste=text)

    def _answer(
        self, request: HttpRequest, versions: Versions, *, notes: list[str], paste: str = ""
    ) -> HttpResponse:
        result: AffectedResult | None = check_versions(versions.parsed) if versions.parsed else None
        query = urlencode(versions.query())
        problems = list(versions.problems) + [
            f"{name!r} is not a product we track; known products: {', '.join(PRODUCTS)}."
            for name in versions.unknown_products
        ]
        backported = [
            v
            for product, found in versions.parsed.items()
            if PRODUCTS[product].backports
            for v in found
            if v.suffix
        ]
        context: dict[str, Any] = {
            "products": [(p, versions.parsed.get(p.slug, [])) for p in PRODUCTS.values()],
            "versions": versions,
            "result": result,
            "problems": problems,
            "notes": notes,
            "backported": backported,
            "paste": paste,
            "max_paste": MAX_PASTE_LENGTH,
            "share_url": f"{reverse('affected:check')}?{query}" if query else "",
            "feed_url": f"{reverse('affected:feed')}?{query}" if query else "",
        }
        return render(request, self.template_name, context, status=200)


class AffectedFeed(_StoryFeed):
    """Public stories about the bugs a version set is inside, newest first."""

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Versions:
        return versions_from_query(request.GET)

    def title(self, obj: Versions) -> str:
        given = ", ".join(f"{name} {value}" for name, value in obj.query())
        return f"Failure stories affecting {given or 'no versions given'}"

    def link(self, obj: Versions) -> str:
        query = urlencode(obj.query())
        return reverse("affected:check") + (f"?{query}" if query else "")

    def feed_url(self, obj: Versions) -> str:
        query = urlencode(obj.query())
        return reverse("affected:feed") + (f"?{query}" if query else "")

    def description(self, obj: Versions) -> str:
        return "Stories about upstream bugs these versions are inside, newest first."

    def items(self, obj: Versions) -> list[Story]:
        if not obj.parsed:
            return []
        result = check_versions(obj.parsed)
        slugs = {story.slug for issue in result.affected for story in issue.stories}
        if not slugs:
            return []
        return list(
            _for_feed(Story.objects.public().filter(slug__in=slugs)).order_by(
                "-created_at", "slug"
            )[:FEED_SIZE]
        )
