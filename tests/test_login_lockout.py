"""Sign-in throttling (django-axes) on the site's login form and the admin's: locked per
account and address after LOGIN_FAILURE_LIMIT failures, a 429 page, reset by an admin."""

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client

pytestmark = pytest.mark.django_db

SITE = "/accounts/login/"
ADMIN = "/admin/login/"
PASSWORD = "correct horse battery staple"
ATTACKER = "203.0.113.66"
ELSEWHERE = "198.51.100.20"


@pytest.fixture
def mona() -> User:
    return User.objects.create_user("mona", password=PASSWORD)


@pytest.fixture
def root() -> User:
    return User.objects.create_superuser("root", password=PASSWORD)


def attempt(url: str, username: str, password: str, address: str = ATTACKER, **meta: str) -> Any:
    client = Client(REMOTE_ADDR=address, **meta)
    response = client.post(url, {"username": username, "password": password, "next": "/"})
    response.signed_in = "_auth_user_id" in client.session
    return response


def fail(url: str, username: str, times: int, address: str = ATTACKER, **meta: str) -> list[int]:
    return [attempt(url, username, "wrong", address, **meta).status_code for _ in range(times)]


def assert_locked_page(response: HttpResponse) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    html = response.content.decode()
    assert "<h1>Sign-in locked</h1>" in html
    assert "locked for 15 minutes" in html
    assert "contact an administrator" in html
    assert 'class="site-header"' in html  # the site's own page, also for the admin form


def test_the_defaults() -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME


@pytest.mark.parametrize("url", [SITE, ADMIN])
def test_failures_lock_out_even_the_right_password(url: str, root: User) -> None:
    assert fail(url, "root", 4) == [200, 200, 200, 200]
    fifth = attempt(url, "root", "wrong")
    assert_locked_page(fifth)
    right = attempt(url, "root", PASSWORD)
    assert_locked_page(right)
    assert not right.signed_in


def test_the_site_and_admin_forms_share_one_count(root: User) -> None:
    fail(SITE, "root", 3)
    fail(ADMIN, "root", 1)
    assert attempt(ADMIN, "root", "wrong").status_code == 429
    assert attempt(SITE, "root", PASSWORD).status_code == 429


def test_the_owner_elsewhere_and_other_accounts_here_still_sign_in(mona: User, root: User) -> None:
    fail(SITE, "mona", 5)
    assert attempt(SITE, "mona", PASSWORD).status_code == 429
    elsewhere = attempt(SITE, "mona", PASSWORD, ELSEWHERE)
    assert elsewhere.status_code == 302 and elsewhere.signed_in
    here = attempt(ADMIN, "root", PASSWORD)
    assert here.status_code == 302 and here.signed_in


def test_a_forged_forwarded_header_is_not_a_new_address(mona: User) -> None:
    codes = [
        attempt(SITE, "mona", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]
    assert attempt(SITE, "mona", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
    (locked,) = AccessAttempt.objects.all()
    # Attempts while locked count too (and restart the cool-off).
    assert locked.ip_address == ATTACKER and locked.failures_since_start == 6


def test_behind_a_trusted_proxy_clients_are_locked_apart(mona: User, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    fail(SITE, "mona", 5, proxy, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {ATTACKER}")
    attacker = attempt(SITE, "mona", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert attacker.status_code == 429
    owner = attempt(SITE, "mona", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE)
    assert owner.status_code == 302 and owner.signed_in


def test_a_success_before_the_limit_clears_the_failures(mona: User) -> None:
    assert fail(SITE, "mona", 4) == [200] * 4
    assert attempt(SITE, "mona", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.exists()
    assert fail(SITE, "mona", 5) == [200, 200, 200, 200, 429]


def go_back(minutes: int) -> None:
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=minutes)
    )


def test_the_lock_ends_after_the_cool_off(mona: User) -> None:
    fail(SITE, "mona", 5)
    go_back(14)
    assert attempt(SITE, "mona", PASSWORD).status_code == 429
    go_back(16)
    assert attempt(SITE, "mona", PASSWORD).status_code == 302


def test_an_attempt_while_locked_starts_the_wait_again(mona: User) -> None:
    fail(SITE, "mona", 5)
    go_back(10)
    assert attempt(SITE, "mona", "wrong").status_code == 429
    go_back(10)
    assert attempt(SITE, "mona", PASSWORD).status_code == 429


def test_an_admin_lifts_the_lock_by_deleting_the_attempt(mona: User, root: User) -> None:
    fail(SITE, "mona", 5)
    admin = Client(REMOTE_ADDR=ELSEWHERE)
    admin.force_login(root)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "mona" in listing.content.decode() and ATTACKER in listing.content.decode()
    (locked,) = AccessAttempt.objects.all()
    deleted = admin.post(f"/admin/axes/accessattempt/{locked.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert attempt(SITE, "mona", PASSWORD).status_code == 302


def test_axes_reset_lifts_every_lock(mona: User, root: User) -> None:
    fail(SITE, "mona", 5)
    fail(ADMIN, "root", 5)
    call_command("axes_reset", verbosity=0)
    assert attempt(SITE, "mona", PASSWORD).status_code == 302
    assert attempt(ADMIN, "root", PASSWORD).status_code == 302


def test_wrong_passwords_and_unknown_accounts_still_get_the_form(mona: User) -> None:
    response = attempt(SITE, "nobody", "wrong")
    assert response.status_code == 200
    assert 'id="error-summary"' in response.content.decode()


def test_one_ipv6_client_however_its_address_is_written(mona: User) -> None:
    for written in (
        "2001:DB8::7",
        "2001:db8:0:0::7",
        "2001:db8::0007",
        "[2001:db8::7]",
        "2001:0db8::7",
    ):
        attempt(SITE, "mona", "wrong", written)
    assert attempt(SITE, "mona", PASSWORD, "2001:db8::7").status_code == 429
    assert attempt(SITE, "mona", PASSWORD, "2001:db8::8").status_code == 302
    assert AccessAttempt.objects.get().ip_address == "2001:db8::7"


def test_a_peer_without_an_address_is_still_counted(mona: User) -> None:
    # A Unix-socket peer has no address; the attempts are stored without one.
    assert fail(SITE, "mona", 5, "") == [200, 200, 200, 200, 429]
    assert AccessAttempt.objects.get().ip_address is None
    assert attempt(SITE, "mona", PASSWORD, ELSEWHERE).status_code == 302
