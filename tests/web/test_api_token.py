"""A member makes their own API token on the site: the admin is for staff only."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


@pytest.fixture
def member() -> User:
    return User.objects.create_user("reader", password="a long enough password")


def signed_in(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def post_with_csrf(client: Client) -> str:
    page = client.get("/accounts/token/").content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf, page
    response = client.post("/accounts/token/", {"csrfmiddlewaretoken": csrf.group(1)})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = re.search(r'<code id="api-token">([0-9a-f]{40})</code>', response.content.decode())
    assert key, response.content.decode()
    return key.group(1)


def status_with(key: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/submissions/").status_code


def test_anonymous_visitors_are_sent_to_log_in() -> None:
    response = Client().get("/accounts/token/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_member_creates_a_token_that_the_api_accepts(member: User) -> None:
    client = signed_in(member)
    assert "You have no token yet." in client.get("/accounts/token/").content.decode()
    key = post_with_csrf(client)
    assert Token.objects.get(user=member).key == key
    # Authenticated (403: the queue is for moderators), where a wrong key is a 401.
    assert status_with(key) == 403
    assert status_with("0" * 40) == 401
    # Shown once: the page no longer prints it.
    again = client.get("/accounts/token/")
    assert key not in again.content.decode()
    assert "no-store" in again["Cache-Control"]


def test_replacing_the_token_revokes_the_old_one(member: User) -> None:
    client = signed_in(member)
    old = post_with_csrf(client)
    new = post_with_csrf(client)
    assert new != old
    assert (status_with(old), status_with(new)) == (401, 403)


def test_a_post_without_the_csrf_token_is_refused(member: User) -> None:
    response = signed_in(member).post("/accounts/token/")
    assert response.status_code == 403
    assert not Token.objects.filter(user=member).exists()
