"""Numbered pages on every paginated list, and a 404 that says so for a page that does
not exist (it used to show the last page under that address)."""

import re

import pytest
from django.test import Client

from tests.factories import OrganizationFactory, StoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_stories() -> None:
    StoryFactory.create_batch(130)  # 7 pages of 20


def numbers(page: str) -> list[str]:
    nav = re.search(r'<nav class="pagination".*?</nav>', page, re.S)
    assert nav, "no pagination"
    return re.findall(r">(\d+|…)</(?:a|span)>", nav.group(0))


def test_the_list_shows_numbered_pages_around_the_current_one(
    client: Client, many_stories: None
) -> None:
    first = client.get("/stories/").content.decode()
    assert numbers(first) == ["1", "2", "3", "4", "5", "6", "7"]
    assert '<span aria-current="page" aria-label="Page 1, current">1</span>' in first
    assert 'href="?page=2" aria-label="Page 2"' in first
    assert 'rel="next" href="?page=2"' in first
    middle = client.get("/stories/?page=4&sort=newest").content.decode()
    assert 'href="?page=3&amp;sort=newest" aria-label="Page 3"' in middle
    assert 'rel="prev" href="?page=3&amp;sort=newest"' in middle
    # A skip link passes the filters for keyboard users.
    assert '<a class="skip-link" href="#result-count">' in middle


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        ("999", "There is no page 999: this list has 7 pages."),
        ("0", "There is no page 0: this list has 7 pages."),
        ("-1", "There is no page -1: this list has 7 pages."),
        ("abc", "“abc” is not a page number."),
    ],
)
def test_a_page_that_does_not_exist_is_a_404_that_says_why(
    client: Client, many_stories: None, page: str, reason: str
) -> None:
    for path in ("/stories/", "/organizations/"):
        response = client.get(path, {"page": page})
        assert response.status_code == 404
        body = response.content.decode()
        if path == "/stories/":
            assert reason.replace("“", "&ldquo;") in body or reason in body
        assert "Go to the first page" in body


def test_a_404_does_not_echo_other_exception_messages(client: Client) -> None:
    body = client.get("/stories/no-such-story/").content.decode()
    assert "No Story matches" not in body
    assert "Go to the first page" not in body


def test_organizations_sort_without_regard_to_case(client: Client) -> None:
    for name in ("Zalando", "eBay", "Adidas"):
        StoryFactory(organization=OrganizationFactory(name=name))
    page = client.get("/organizations/").content.decode()
    positions = [page.index(f">{name}<") for name in ("Adidas", "eBay", "Zalando")]
    assert positions == sorted(positions)
