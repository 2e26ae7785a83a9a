"""What the API tests share: clients by user, throttles that start afresh, and the
submissions' and search's fixtures for the API tests of those."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.search.conftest import many  # noqa: F401
from tests.submissions.conftest import published_story, taxonomy  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    # Throttle and rate-limit counters live in the cache: each test starts with none.
    cache.clear()


def client_for(user: User | None) -> APIClient:
    """A client that sends `user`'s token (anonymous for None)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
