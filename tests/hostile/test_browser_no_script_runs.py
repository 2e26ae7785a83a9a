"""The hostile corpus in a real browser: published stories carrying every payload that
could run script, change the page's address or load something, opened in headless
Chromium on the pages that show them, with every user link clicked.

A canary `__xss(marker)` is what the payloads call; alert/confirm/prompt would open a
dialog. Nothing may fire, no dialog may open, the page must stay on the site, nothing
outside the site may be requested, and the Content Security Policy must have had nothing
to refuse (a refusal means markup got through and only the policy stopped it).
"""

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from apps.catalog.models import Story
from tests.hostile.payloads import PAYLOADS
from tests.hostile.scan import markers_in, url_problem
from tests.hostile.site import People, StoryText, approve_service, make_taxonomy, submit_api

pytestmark = pytest.mark.browser

# Payloads that a browser could act on; the rest (templates, CRLF, XML) are text anywhere.
BROWSER_CATEGORIES = {
    "meta-refresh", "script", "handler", "attribute", "context", "markdown", "svg-math",
    "css", "json", "unicode", "polyglot",
}  # fmt: skip
SUMMARY_PAYLOADS = 12
# A meta refresh or a timer fires soon after load: the page whose summary opens with the
# refresh breakout waits a second, other story pages a little, the rest a moment.
SETTLE_MS = {"refresh": 1000, "story": 300, "other": 100}
WATCH = """
window.__cspRefusals = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspRefusals.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def _stories() -> list[StoryText]:
    """Stories with up to twelve payloads each in the summary (the meta refresh first, so
    it opens the excerpt), and the same payloads in the one-line fields."""
    texts = [p.text for p in PAYLOADS if p.category in BROWSER_CATEGORIES]
    stories = []
    for start in range(0, len(texts), SUMMARY_PAYLOADS):
        group = texts[start : start + SUMMARY_PAYLOADS]
        stories.append(
            StoryText(
                title=_fit(group, 300),
                organization=_fit(group[::-1], 200),
                summary="\n\n".join(group),
                source_titles=[_fit(group[1:], 300), _fit(group[2:], 300)],
                upstream_notes=[_fit(group[3:], 500)],
                mitigation_notes=[_fit(group[4:], 500)],
                note=_fit(group, 2000),
                message="Published.",
            )
        )
    return stories


def _fit(texts: list[str], limit: int) -> str:
    kept: list[str] = []
    for text in texts:
        if len(" ".join([*kept, text])) <= limit:
            kept.append(text)
    return " ".join(kept) or "Plain"


@pytest.fixture
def published(transactional_db: None, settings: Any) -> tuple[People, list[Story]]:
    cache.clear()
    settings.SUBMISSION_RATE_PER_USER = "100000/hour"
    settings.SUBMISSION_RATE_PER_IP = "100000/hour"
    make_taxonomy()
    people = People.create()
    stories = []
    for index, text in enumerate(_stories()):
        submission = submit_api(people, text, index)
        stories.append(approve_service(people, submission, text.message))
    return people, stories


USER_LINKS = ".prose a, ul.sources a, ul.upstream a, .payload-preview a"
FORBIDDEN_ATTRIBUTES = ("http-equiv", "onerror", "onload", "onclick", "onmouseover", "style")
FORBIDDEN_TAGS = ("base", "iframe", "object", "embed", "img", "math", "marquee")
INSPECT = """([attributes, tags]) => ({
  refusals: window.__cspRefusals,
  attributes: Object.fromEntries(
    attributes.map((name) => [name, document.querySelectorAll(`[${name}]`).length])),
  tags: Object.fromEntries(tags.map((name) => [name, document.getElementsByTagName(name).length])),
})"""
# Each link's own click, one task apart: a javascript: URL would run, an http(s) one is
# answered 204 by the route (the page stays). Mail links and the site's own ("/...") are
# left alone: Chromium gives no scripted click to a mail client.
CLICK_USER_LINKS = """async (selector) => {
  const hrefs = [];
  for (const link of document.querySelectorAll(selector)) {
    const href = link.getAttribute("href") || "";
    hrefs.push(href);
    if (href.toLowerCase().startsWith("mailto:") || href.startsWith("/")) continue;
    link.click();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return hrefs;
}"""


class Watched:
    """A browser page with everything hostile text could make it do written down."""

    def __init__(self, context: Any, base: str) -> None:
        self.base = base
        self.fired: list[str] = []
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.navigations: list[str] = []
        self.outside: list[str] = []
        context.expose_function("__xss", lambda marker: self.fired.append(str(marker)))
        context.add_init_script(WATCH)
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("console", self._console)
        self.page.on("framenavigated", lambda frame: self.navigations.append(frame.url))

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.base):
            route.continue_()
            return
        self.outside.append(url)
        # 204: the browser stays where it is, so a clicked link is followed no further.
        route.fulfill(status=204, body="")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.console.append(message.text)

    def open(self, path: str, settle: str = "other") -> list[str]:
        """Open a page, let it settle, and say what went wrong there."""
        self.navigations.clear()
        response = self.page.goto(self.base + path, wait_until="load")
        assert response is not None and response.status == 200, (path, response)
        self.page.wait_for_timeout(SETTLE_MS[settle])
        problems = self._problems(path)
        problems += self._click_user_links(path)
        return problems

    def _problems(self, path: str) -> list[str]:
        problems = [f"{path}: canary fired by {m}" for m in self.fired]
        problems += [f"{path}: dialog {d}" for d in self.dialogs]
        problems += [f"{path}: console error {c}" for c in self.console]
        problems += [f"{path}: requested {u}" for u in self.outside]
        problems += [f"{path}: navigated to {u}" for u in self.navigations if not self._ours(u)]
        if not self._ours(self.page.url):
            problems.append(f"{path}: the page left the site for {self.page.url}")
        found = self.page.evaluate(INSPECT, [list(FORBIDDEN_ATTRIBUTES), list(FORBIDDEN_TAGS)])
        problems += [f"{path}: CSP refused {r}" for r in found["refusals"]]
        problems += [f"{path}: {n} elements with {a}" for a, n in found["attributes"].items() if n]
        problems += [f"{path}: {n} <{t}> elements" for t, n in found["tags"].items() if n]
        self.fired.clear(), self.dialogs.clear(), self.console.clear(), self.outside.clear()
        return problems

    def _click_user_links(self, path: str) -> list[str]:
        """Follow every link inside user text; none may run script or leave the site."""
        hrefs = self.page.evaluate(CLICK_USER_LINKS, USER_LINKS)
        problems = [f"{path}: link {h!r}: {r}" for h in hrefs if (r := url_problem(h))]
        self.page.wait_for_timeout(SETTLE_MS["other"])
        problems += [p for p in self._problems(path) if "requested" not in p]
        return problems

    def _ours(self, url: str) -> bool:
        return url.startswith(self.base) or url == "about:blank"


def test_no_payload_runs_script_or_leaves_the_site(
    browser: Any,
    live_server: Any,
    published: tuple[People, list[Story]],
    tmp_path: Path,
) -> None:
    people, stories = published
    assert stories[0].excerpt.startswith(PAYLOADS[0].text), "the refresh breakout opens it"
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    moderator = Client()
    moderator.force_login(people.moderator)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": moderator.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    watched = Watched(context, live_server.url)
    problems: list[str] = []
    try:
        for story in stories:
            settle = "refresh" if story == stories[0] else "story"
            problems += watched.open(story.get_absolute_url(), settle=settle)
            if story == stories[0]:
                watched.page.screenshot(path=str(tmp_path / "story.png"), full_page=True)
            problems += watched.open(story.organization.get_absolute_url())
            submission = story.submissions.get()
            problems += watched.open(submission.get_review_url())
        for path in ("/", "/stories/", "/stories/?q=xss", "/stories/?q=script&page=last"):
            problems += watched.open(path)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    assert (tmp_path / "story.png").stat().st_size > 10_000
    shown = markers_in(" ".join(story.title for story in stories))
    assert len(shown) >= 20, "the stories carry the corpus"
