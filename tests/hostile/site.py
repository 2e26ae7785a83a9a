"""Stories that carry the hostile corpus in every free-text field, sent the way people send
them (the web form, the API) and approved the way moderators approve them.

Each field's payloads are split into as many stories as the tightest field needs, so every
payload passes through every field once per channel while the suite stays a few dozen
stories long.
"""

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.catalog.models import ImpactKind, Story
from apps.catalog.rendering import markup_problems
from apps.core.limits import MAX_LINK_NOTE, MAX_ORGANIZATION, MAX_SUBMISSION_NOTE, MAX_TITLE
from apps.submissions.models import Submission
from apps.submissions.services import submission_approve
from tests.factories import (
    ComponentAreaFactory,
    ComponentFactory,
    MitigationFactory,
    PlatformFactory,
)
from tests.hostile.payloads import PAYLOADS
from tests.submissions.conftest import make_user
from tests.submissions.webforms import form_data

CHANNELS = ("web", "api")
LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
SUMMARY_PAYLOADS = 6
SOURCES_PER_STORY = 3
MITIGATIONS = [f"hostile-mitigation-{n}" for n in range(3)]
EMAIL = {"web": "hostile-web@example.org", "api": "hostile-api@example.org"}
BENIGN_SUMMARY = (
    "## What happened\n\nA *plain* story with **bold** text, `code`, a "
    '[link](https://example.org/ "a title") and <https://example.org/auto>.\n\n'
    "1. one\n2. two\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    "```yaml\nkey: value\n```\n\n~~gone~~ and <abbr>x</abbr>"
)


def collapse(text: str) -> str:
    """What a one-line field keeps of a text: its words, one space apart."""
    return " ".join(text.split())


@dataclass
class StoryText:
    """The free text of one story: what a submitter types into each field."""

    title: str
    organization: str
    summary: str
    source_titles: list[str]
    upstream_notes: list[str]
    mitigation_notes: list[str]
    note: str
    message: str
    symptoms: list[str] = field(default_factory=list)

    def payload(self, channel: str, index: int) -> dict[str, Any]:
        """The story's JSON form; URLs are unique per channel and story."""
        return {
            "title": self.title,
            "organization": self.organization,
            "date": "2021-03",
            "sources": [
                {
                    "url": f"https://blog.example.org/hostile/{channel}/{index}/{n}",
                    "kind": "postmortem",
                    "title": title,
                }
                for n, title in enumerate(self.source_titles)
            ],
            "components": ["dns", "coredns"],
            "symptoms": self.symptoms,
            "platforms": ["aws"],
            "impact": ["outage"],
            "upstream": [
                {
                    "url": f"https://github.com/kfs-hostile/{channel}/issues/{index * 100 + n + 1}",
                    "note": note,
                }
                for n, note in enumerate(self.upstream_notes)
            ],
            "mitigations": [
                {"slug": slug, "note": note}
                for slug, note in zip(MITIGATIONS, self.mitigation_notes, strict=False)
            ],
            "summary": self.summary,
        }


def spread(texts: Sequence[str], parts: int, fits: Callable[[list[str]], bool]) -> list[list[str]]:
    """`texts` in order, in about `parts` groups of similar size, each group one that fits."""
    size = max(1, math.ceil(len(texts) / parts))
    groups: list[list[str]] = []
    for start in range(0, len(texts), size):
        group: list[str] = []
        for text in texts[start : start + size]:
            if group and not fits([*group, text]):
                groups.append(group)
                group = []
            assert fits([text]), f"a payload does not fit on its own: {text!r}"
            group.append(text)
        groups.append(group)
    return groups


def pack(texts: Sequence[str], limit: int) -> list[list[str]]:
    """`texts` in one-line groups of at most `limit` characters, longest first into the
    first group with room (first-fit decreasing: close to the fewest groups there can be)."""
    groups: list[list[str]] = []
    for text in sorted(texts, key=len, reverse=True):
        assert len(text) <= limit, f"a payload does not fit on its own: {text!r}"
        group = next((g for g in groups if len(" ".join([*g, text])) <= limit), None)
        if group is None:
            groups.append([text])
        else:
            group.append(text)
    return groups


def _summary_fits(group: list[str]) -> bool:
    return len(group) <= SUMMARY_PAYLOADS and not markup_problems("\n\n".join(group))


def hostile_stories(texts: Sequence[str] | None = None) -> list[StoryText]:
    """Stories that together hold every payload in every field."""
    texts = [p.text for p in PAYLOADS] if texts is None else list(texts)
    # The organization field is the tightest: its packing sets the number of stories.
    count = len(pack(texts, MAX_ORGANIZATION))
    fields = {
        "title": pack(texts, MAX_TITLE),
        "organization": pack(texts, MAX_ORGANIZATION),
        # In order, so the first story's summary (and meta description) opens with the
        # meta refresh breakout.
        "summary": spread(texts, count, _summary_fits),
        "source": pack(texts, MAX_TITLE),
        "upstream": pack(texts, MAX_LINK_NOTE),
        "mitigation": pack(texts, MAX_LINK_NOTE),
        "note": pack(texts, MAX_SUBMISSION_NOTE),
        # One line each: line breaks and tabs are refused there, so they become spaces.
        "symptom": pack(texts, MAX_TITLE),
    }
    count = max(len(fields[name]) for name in ("title", "organization", "summary", "note"))

    def per_story(name: str, index: int, each: int = 1) -> list[str]:
        groups = fields[name][index * each : (index + 1) * each]
        return [" ".join(group) for group in groups]

    stories = []
    for index in range(count):
        summary = fields["summary"][index] if index < len(fields["summary"]) else []
        stories.append(
            StoryText(
                title=(per_story("title", index) or [f"Plain title {index}"])[0],
                organization=(per_story("organization", index) or [f"Plain Org {index}"])[0],
                summary="\n\n".join([*summary, search_word(index)]),
                source_titles=per_story("source", index, SOURCES_PER_STORY) or ["Plain source"],
                upstream_notes=per_story("upstream", index, 2),
                mitigation_notes=per_story("mitigation", index, 2),
                note=" ".join(per_story("note", index)),
                message=" ".join(per_story("title", index)),
                symptoms=[collapse(text) for text in per_story("symptom", index)],
            )
        )
    leftovers = {
        name: groups[len(stories) * each :]
        for name, groups, each in (
            ("organization", fields["organization"], 1),
            ("source", fields["source"], SOURCES_PER_STORY),
            ("upstream", fields["upstream"], 2),
            ("mitigation", fields["mitigation"], 2),
            ("note", fields["note"], 1),
            ("symptom", fields["symptom"], 1),
        )
    }
    assert not any(leftovers.values()), f"payloads left over: {leftovers}"
    return stories


def search_word(index: int) -> str:
    """A plain word ten stories of a channel share, so a search finds each story (both
    engines tokenize payloads differently: PostgreSQL reads URLs as one token)."""
    return f"hostilegroup{index // 10}"


def benign_story() -> StoryText:
    return StoryText(
        title="A plain title about DNS",
        organization="Plain Benign Org",
        summary=BENIGN_SUMMARY,
        source_titles=["Plain source one", "Plain source two", "Plain source three"],
        upstream_notes=["Plain upstream note", "Another note"],
        mitigation_notes=["Plain mitigation note", "Another"],
        note="A plain note to the moderators.",
        message="Thanks, published.",
        symptoms=["OOMKilled", "dial udp 10.3.0.10:53: i/o timeout"],
    )


def make_taxonomy() -> None:
    """Components dns and coredns, platform aws, impact outage and a few mitigations."""
    area = ComponentAreaFactory(slug="networking", name="Networking")
    ComponentFactory(slug="dns", name="DNS", area=area, position=0)
    ComponentFactory(slug="coredns", name="CoreDNS", area=area, position=1)
    PlatformFactory(slug="aws", name="AWS")
    ImpactKind.objects.get_or_create(slug="outage", defaults={"name": "Outage"})
    for slug in MITIGATIONS:
        MitigationFactory(slug=slug, title=slug.replace("-", " ").capitalize())


@dataclass
class People:
    moderator: User
    api_submitter: User
    web: Client = field(default_factory=Client)
    moderator_web: Client = field(default_factory=Client)
    moderator_api: APIClient = field(default_factory=APIClient)
    submitter_api: APIClient = field(default_factory=APIClient)

    @classmethod
    def create(cls) -> "People":
        people = cls(make_user("hostile-mod", "moderator"), make_user("hostile-api-user"))
        people.moderator_web.force_login(people.moderator)
        for client, user in (
            (people.moderator_api, people.moderator),
            (people.submitter_api, people.api_submitter),
        ):
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return people


def web_form(text: StoryText, index: int) -> dict[str, Any]:
    """The submit form as a browser posts it. Upstream is one "URL — note" per line, so a
    line break in a note would start another entry: there, line breaks become spaces."""
    payload = text.payload("web", index)
    for entry in payload["upstream"]:
        entry["note"] = LINE_BREAK_RE.sub(" ", entry["note"])
    return form_data(payload, note=text.note, email=EMAIL["web"])


def submit_web(people: People, text: StoryText, index: int) -> Submission:
    response = people.web.post("/submit/", web_form(text, index))
    assert response.status_code == 302, _errors(response)
    submission = Submission.objects.order_by("-pk").first()
    assert submission is not None and response["Location"] == submission.get_tracking_url()
    return submission


def submit_api(people: People, text: StoryText, index: int) -> Submission:
    body = {**text.payload("api", index), "note": text.note, "email": EMAIL["api"]}
    response = people.submitter_api.post("/api/v1/submissions/", body, format="json")
    assert response.status_code == 201, response.content[:3000]
    return Submission.objects.get(pk=response.json()["id"])


def approve_web(people: People, submission: Submission, message: str) -> Story:
    submission.refresh_from_db()
    response = people.moderator_web.post(
        submission.get_review_url(),
        {
            "action": "approve",
            "version": submission.version,
            "verified": "source",
            "message": message,
        },
    )
    assert response.status_code == 302, _errors(response)
    submission.refresh_from_db()
    assert submission.story is not None
    return submission.story


def approve_api(people: People, submission: Submission, message: str) -> Story:
    url = f"/api/v1/submissions/{submission.pk}/"
    etag = people.moderator_api.get(url)["ETag"]
    response = people.moderator_api.post(
        f"{url}approve/",
        {"message": message, "verified": "source"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content[:3000]
    submission.refresh_from_db()
    assert submission.story is not None
    return submission.story


def approve_service(people: People, submission: Submission, message: str) -> Story:
    submission.refresh_from_db()
    return submission_approve(
        submission=submission,
        moderator=people.moderator,
        expected_version=submission.version,
        verified="source",
        message=message,
    )


SUBMIT = {"web": submit_web, "api": submit_api}
# How each channel's moderator approves: on the review page, or with the API's If-Match.
APPROVE = {"web": approve_web, "api": approve_api}


def _errors(response: Any) -> str:
    """The form errors a page lists, or the start of the response."""
    context = getattr(response, "context", None)
    if context is not None and "errors" in context:
        return f"{response.status_code}: {context['errors']}"
    return f"{response.status_code}: {response.content.decode()[:3000]}"
