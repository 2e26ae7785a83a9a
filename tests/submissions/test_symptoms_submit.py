"""Symptoms through the web form, the API, moderation and the story page."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.catalog.models import Story
from apps.submissions.models import Submission
from apps.submissions.services import submission_approve
from tests.submissions.conftest import make_payload, make_user
from tests.submissions.webforms import submit

pytestmark = pytest.mark.django_db

SYMPTOMS = ["OOMKilled", "dial udp 10.3.0.10:53: i/o timeout"]
HOSTILE = '</code><script>alert("s")</script><img src=x onerror=alert(1)>'


def api(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def approve(submission: Submission, moderator: User) -> Story:
    return submission_approve(
        submission=submission, moderator=moderator, expected_version=submission.version
    )


def page(story: Story) -> str:
    response = Client().get(reverse("web:story-detail", kwargs={"slug": story.slug}))
    assert response.status_code == 200
    return response.content.decode()


def test_web_form_takes_one_symptom_per_line(
    client: Client, taxonomy: None, moderator: User
) -> None:
    response = submit(client, symptoms="  OOMKilled \r\n\r\ndial udp 10.3.0.10:53: i/o timeout\n")
    assert response.status_code == 302, response.content.decode()[:2000]
    submission = Submission.objects.get()
    assert submission.payload["symptoms"] == SYMPTOMS
    html = page(approve(submission, moderator))
    assert "What you would have seen" in html
    assert "<li><code>OOMKilled</code></li>" in html
    assert "<li><code>dial udp 10.3.0.10:53: i/o timeout</code></li>" in html


def test_web_form_names_the_bad_line(client: Client, taxonomy: None) -> None:
    response = submit(client, symptoms="OOMKilled\nEvicted\nOOMKilled")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Line 3: &#x27;OOMKilled&#x27; is listed twice" in html
    assert not Submission.objects.exists()


def test_suggest_edit_prefills_the_symptoms(client: Client, published_story: Story) -> None:
    published_story.symptoms = SYMPTOMS
    published_story.save()
    url = reverse("submissions:suggest-edit", kwargs={"slug": published_story.slug})
    html = client.get(url).content.decode()
    assert "OOMKilled\ndial udp 10.3.0.10:53: i/o timeout</textarea>" in html


def test_hostile_symptoms_stay_text_on_every_page(
    client: Client, taxonomy: None, moderator: User
) -> None:
    submit(client, symptoms=HOSTILE)
    submission = Submission.objects.get()
    moderation = Client()
    moderation.force_login(moderator)
    review = moderation.get(submission.get_review_url()).content.decode()
    html = page(approve(submission, moderator))
    for text in (review, html):
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "&lt;/code&gt;&lt;script&gt;alert(&quot;s&quot;)&lt;/script&gt;" in text


def test_api_submission_with_symptoms_is_public_after_approval(
    taxonomy: None, moderator: User
) -> None:
    member = api(make_user("sam"))
    created = member.post("/api/v1/submissions/", make_payload(symptoms=SYMPTOMS), format="json")
    assert created.status_code == 201, created.json()
    review = api(moderator).get(f"/api/v1/submissions/{created.json()['id']}/").json()
    change = next(c for c in review["diff"] if c["name"] == "symptoms")
    assert change["label"] == "What you would have seen" and change["changed"] is True
    assert [line["text"] for line in change["lines"]] == SYMPTOMS
    story = approve(Submission.objects.get(), moderator)
    detail = APIClient().get(f"/api/v1/stories/{story.slug}/").json()
    assert detail["symptoms"] == SYMPTOMS


@pytest.mark.parametrize(
    ("symptoms", "field", "message"),
    [
        (["OOMKilled", ""], "symptoms[1]", "is empty"),
        (["a\nb"], "symptoms[0]", "must be one line"),
        (["x" * 301], "symptoms[0]", "longer than 300"),
        (["Evicted", "Evicted"], "symptoms[1]", "listed twice"),
        ([f"s{n}" for n in range(21)], "symptoms", "at most 20"),
        ("OOMKilled", "symptoms", "expected a list"),
    ],
)
def test_api_submission_names_the_bad_symptom(
    taxonomy: None, symptoms: Any, field: str, message: str
) -> None:
    member = api(make_user("sam"))
    response = member.post("/api/v1/submissions/", make_payload(symptoms=symptoms), format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert any(message in text for text in fields[field]), fields


def test_moderator_patches_symptoms_and_the_audit_shows_them(
    published_story: Story, moderator: User
) -> None:
    client = api(moderator)
    url = f"/api/v1/stories/{published_story.slug}/"
    etag = client.get(url)["ETag"]
    bad = client.patch(url, {"symptoms": ["ok", " "]}, format="json", HTTP_IF_MATCH=etag)
    assert bad.status_code == 400
    assert "symptoms[1]: Is empty." in bad.json()["fields"]["symptoms"]
    done = client.patch(url, {"symptoms": [" NodeNotReady "]}, format="json", HTTP_IF_MATCH=etag)
    assert done.status_code == 200, done.json()
    assert done.json()["symptoms"] == ["NodeNotReady"]
    assert Story.objects.get(pk=published_story.pk).symptoms == ["NodeNotReady"]
