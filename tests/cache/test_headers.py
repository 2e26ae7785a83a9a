"""Cache-Control and Vary per kind of page: anonymous catalogue answers may sit in a shared
cache for a second; nothing answered to a session, a token or a form ever may."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import Client, RequestFactory
from django.urls import resolve, reverse
from rest_framework.authtoken.models import Token

from apps.catalog.models import Story
from apps.core.cacheheaders import CacheHeadersMiddleware
from tests.cache.conftest import cache_control, public_urls, vary
from tests.submissions.webforms import submit_ok

pytestmark = pytest.mark.django_db

PRIVATE = {"private", "no-store", "no-cache", "max-age=0"}


def assert_private(response: Any, url: str) -> None:
    directives = cache_control(response)
    assert directives >= PRIVATE, (url, response.status_code, directives)
    assert "public" not in directives and not any(d.startswith("s-maxage") for d in directives)


def test_anonymous_catalogue_answers_are_shared_for_a_second(client: Client, story: Story) -> None:
    for url in public_urls(story):
        response = client.get(url)
        assert response.status_code == 200, url
        assert cache_control(response) == {"public", "max-age=0", "s-maxage=1"}, url
        assert {"cookie", "authorization"} <= vary(response), url
        assert not response.cookies, url


def test_api_answers_also_vary_on_accept(client: Client, story: Story) -> None:
    response = client.get("/api/v1/stories/")
    assert {"accept", "cookie", "authorization"} <= vary(response)


def test_a_304_keeps_the_headers_of_the_answer_it_confirms(client: Client, story: Story) -> None:
    url = f"/api/v1/stories/{story.slug}/"
    etag = client.get(url)["ETag"]
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert cache_control(response) == {"public", "max-age=0", "s-maxage=1"}


def test_head_is_shared_like_get(client: Client, story: Story) -> None:
    response = client.head(story.get_absolute_url())
    assert cache_control(response) == {"public", "max-age=0", "s-maxage=1"}


def test_a_missing_story_is_shared_briefly_so_a_new_one_appears(
    client: Client, story: Story
) -> None:
    response = client.get(reverse("web:story-detail", args=["2020-nobody-wrote-this"]))
    assert response.status_code == 404
    assert "public" in cache_control(response)


def test_errors_other_than_not_found_are_never_shared(client: Client, story: Story) -> None:
    response = client.get("/api/v1/stories/?page_size=1000")
    assert response.status_code == 400
    assert_private(response, "/api/v1/stories/?page_size=1000")


def test_signed_in_views_are_never_shared(client: Client, story: Story, moderator: User) -> None:
    client.force_login(moderator)
    for url in public_urls(story):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_private(response, url)


def test_a_session_cookie_alone_makes_an_answer_private(client: Client, story: Story) -> None:
    client.cookies["sessionid"] = "not-a-real-session"
    for url in (reverse("web:home"), story.get_absolute_url(), "/api/v1/stories/"):
        assert_private(client.get(url), url)


def test_token_clients_are_never_shared(client: Client, story: Story, member: User) -> None:
    token = Token.objects.create(user=member)
    for url in ("/api/v1/stories/", f"/api/v1/stories/{story.slug}/"):
        response = client.get(url, HTTP_AUTHORIZATION=f"Token {token.key}")
        assert response.status_code == 200
        assert_private(response, url)


def test_forms_sign_in_tracking_and_moderation_are_never_shared(
    client: Client, story: Story, moderator: User
) -> None:
    forms = [
        reverse("submissions:submit"),
        reverse("submissions:suggest-edit", args=[story.slug]),
        reverse("login"),
        reverse("submissions:queue"),  # a redirect to sign in, for an anonymous visitor
        "/admin/",
        reverse("healthz"),
        "/api/v1/submissions/",
    ]
    for url in forms:
        assert_private(client.get(url), url)
    submission = submit_ok(client)
    anonymous = Client()
    assert_private(anonymous.get(submission.get_tracking_url()), "tracking page")
    client.force_login(moderator)
    for url in (
        reverse("submissions:queue"),
        reverse("submissions:review", args=[submission.pk]),
        reverse("submissions:retract", args=[story.slug]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_private(response, url)


@pytest.mark.parametrize("personal", ["csrf token", "cookie", "session"])
def test_anything_made_for_one_visitor_makes_a_public_view_private(
    rf: RequestFactory, story: Story, personal: str
) -> None:
    url = story.get_absolute_url()

    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("page")
        if personal == "csrf token":
            get_token(request)
        elif personal == "cookie":
            response.set_cookie("seen", "1")
        else:
            request.session["seen"] = True  # type: ignore[attr-defined]
        return response

    request = rf.get(url)
    request.resolver_match = resolve(url)
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    response = CsrfViewMiddleware(view)(request) if personal == "csrf token" else view(request)
    assert_private(CacheHeadersMiddleware(lambda r: response)(request), personal)


def test_writes_are_never_shared(client: Client, story: Story) -> None:
    response = client.post(reverse("web:story-list"))
    assert_private(response, "POST /stories/")
    response = client.post("/api/v1/stories/", {}, content_type="application/json")
    assert_private(response, "POST /api/v1/stories/")
