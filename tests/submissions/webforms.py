"""What a browser sends: the web forms' POST data, built from a story's JSON form."""

import time
from html.parser import HTMLParser
from typing import Any

from django.test import Client
from django.urls import reverse

from apps.submissions import abuse
from apps.submissions.models import Submission
from tests.submissions.conftest import make_payload

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"
XSS_MARKDOWN = (
    "<script>alert(1)</script>\n\n[click](javascript:alert(1))\n\n<img src=x onerror=alert(1)>"
    "\n\n**bold** text"
)


def text(response: Any) -> str:
    """A page's HTML."""
    return str(response.content.decode())


def started(seconds_ago: float = 60) -> str:
    return abuse.form_started_token(now=time.time() - seconds_ago)


def form_data(payload: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The story form filled in with `payload` (default: the valid test story)."""
    payload = payload or make_payload()
    data: dict[str, Any] = {
        "title": payload["title"],
        "organization": payload["organization"],
        "date": payload["date"],
        "components": payload["components"],
        "symptoms": "\n".join(payload.get("symptoms", [])),
        "platforms": payload["platforms"],
        "impact": payload["impact"],
        "upstream": "\n".join(
            f"{u['url']} — {u['note']}" if u.get("note") else u["url"] for u in payload["upstream"]
        ),
        "mitigations": [m["slug"] for m in payload["mitigations"]],
        "summary": payload["summary"],
        "note": "",
        "email": "",
        "website": "",
        "started": started(),
        "sources-TOTAL_FORMS": "10",
        "sources-INITIAL_FORMS": "0",
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "10",
    }
    for index in range(10):
        source = payload["sources"][index] if index < len(payload["sources"]) else {}
        data[f"sources-{index}-url"] = source.get("url", "")
        data[f"sources-{index}-kind"] = source.get("kind", "")
        data[f"sources-{index}-title"] = source.get("title", "")
    data.update(extra)
    return data


def submit(client: Client, payload: dict[str, Any] | None = None, **extra: Any) -> Any:
    return client.post(reverse("submissions:submit"), form_data(payload, **extra))


def submit_ok(client: Client, payload: dict[str, Any] | None = None, **extra: Any) -> Submission:
    response = submit(client, payload, **extra)
    assert response.status_code == 302, response.content.decode()[:3000]
    submission = Submission.objects.order_by("-pk").first()
    assert submission is not None
    assert response["Location"] == submission.get_tracking_url()
    return submission


def xss_payload() -> dict[str, Any]:
    """A valid story with a script in every free-text field."""
    return make_payload(
        title=f"Title {XSS}",
        organization=f"Org {XSS}",
        sources=[
            {
                "url": "https://blog.example.org/xss-story",
                "kind": "postmortem",
                "title": f"Source {XSS}",
            }
        ],
        upstream=[{"url": "https://github.com/coredns/coredns/issues/7", "note": f"Note {XSS}"}],
        summary=XSS_MARKDOWN,
    )


class _Tags(HTMLParser):
    """Every real element and attribute of a page (escaped text is not an element)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text.append(data)


def assert_no_live_markup(html: str) -> None:
    """No script, event handler, image or javascript: link made it into the page as markup."""
    parser = _Tags()
    parser.feed(html)
    assert "".join(parser.script_text).strip() == "", "inline script"
    for tag, attrs in parser.tags:
        assert tag not in {"img", "iframe", "object", "embed"}, (tag, attrs)
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            if name in {"href", "src", "action", "formaction"}:
                assert not value.strip().lower().startswith("javascript:"), (tag, name, value)
