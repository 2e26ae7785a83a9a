"""Signs of automated submissions: each flags with a reason; a normal one flags nothing."""

import time
from typing import Any
from unittest import mock

import pytest
from django.core import signing

from apps.submissions.abuse import (
    FORM_SALT,
    MAX_LINKS_IN_TEXT,
    assess,
    form_started_token,
    seconds_since_form_started,
)

NOW = 1_700_000_000.0


@pytest.fixture(autouse=True)
def _minimum(settings: Any) -> None:
    settings.SUBMISSION_MIN_SECONDS = 5


def started(seconds_ago: float) -> str:
    return form_started_token(now=NOW - seconds_ago)


def test_a_normal_submission_is_not_flagged() -> None:
    flags = assess(
        honeypot="",
        started_token=started(90),
        texts=("CoreDNS ran out of memory", "See https://example.org/post for details."),
        now=NOW,
    )
    assert flags == []


def test_an_api_submission_has_no_form_timing() -> None:
    assert assess(started_token=None, texts=("plain text",), now=NOW) == []


@pytest.mark.parametrize("honeypot", ["x", "http://spam.example", "  filled  "])
def test_filled_honeypot_is_flagged(honeypot: str) -> None:
    flags = assess(honeypot=honeypot, started_token=started(60), now=NOW)
    assert len(flags) == 1
    assert "hidden field" in flags[0]


def test_whitespace_in_the_honeypot_is_not_a_fill() -> None:
    assert assess(honeypot=" \n\t", started_token=started(60), now=NOW) == []


@pytest.mark.parametrize(("seconds", "flagged"), [(0, True), (2, True), (4, True), (5, False)])
def test_too_fast_is_flagged(seconds: int, flagged: bool) -> None:
    flags = assess(started_token=started(seconds), now=NOW)
    assert bool(flags) is flagged
    if flagged:
        assert "after the form was opened" in flags[0]
        assert "minimum 5 s" in flags[0]
        assert f"Sent {seconds} s" in flags[0]


def test_the_minimum_comes_from_the_settings(settings: Any) -> None:
    settings.SUBMISSION_MIN_SECONDS = 30
    assert assess(started_token=started(20), now=NOW) != []
    assert assess(started_token=started(31), now=NOW) == []


def test_a_timestamp_from_the_future_is_flagged_as_too_fast() -> None:
    (flag,) = assess(started_token=started(-100), now=NOW)
    assert "Sent 0 s" in flag


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-token",
        signing.dumps(int(NOW), salt="another.salt"),
        signing.dumps(int(NOW), salt=FORM_SALT, key="a different secret key entirely"),
        signing.dumps("yesterday", salt=FORM_SALT),
        signing.dumps(None, salt=FORM_SALT),
    ],
)
def test_missing_or_forged_timestamp_is_flagged(token: str) -> None:
    flags = assess(started_token=token, now=NOW)
    assert len(flags) == 1
    assert "missing or had been altered" in flags[0]


def test_an_edited_timestamp_is_flagged() -> None:
    genuine = started(3)
    signature = genuine.rpartition(":")[2]
    # Claim the form was opened an hour earlier, keeping the old signature.
    forged_value = signing.dumps(int(NOW - 3600), salt=FORM_SALT).partition(":")[0]
    forged = f"{forged_value}:{signature}"
    assert forged != genuine
    assert seconds_since_form_started(forged, now=NOW) is None
    assert "missing or had been altered" in assess(started_token=forged, now=NOW)[0]


def test_a_week_old_form_counts_as_missing() -> None:
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 8 * 86400):
        old = form_started_token()
    assert seconds_since_form_started(old) is None
    assert assess(started_token=old) != []


def test_the_token_round_trips() -> None:
    assert seconds_since_form_started(started(42), now=NOW) == pytest.approx(42, abs=1)


@pytest.mark.parametrize(
    ("links", "flagged"), [(MAX_LINKS_IN_TEXT, False), (MAX_LINKS_IN_TEXT + 1, True)]
)
def test_many_links_are_flagged(links: int, flagged: bool) -> None:
    # Links are counted over all texts together, whatever the case of the scheme.
    texts = (
        " ".join(f"https://spam.example/{n}" for n in range(links - 1)),
        "and HTTP://SHOUT.example/",
    )
    flags = assess(started_token=started(60), texts=texts, now=NOW)
    assert bool(flags) is flagged
    if flagged:
        assert f"{links} links" in flags[0]


def test_every_sign_is_reported_together() -> None:
    flags = assess(
        honeypot="gotcha",
        started_token=started(1),
        texts=tuple(f"http://spam.example/{n}" for n in range(20)),
        now=NOW,
    )
    assert len(flags) == 3
    assert any("hidden field" in f for f in flags)
    assert any("after the form was opened" in f for f in flags)
    assert any("20 links" in f for f in flags)
