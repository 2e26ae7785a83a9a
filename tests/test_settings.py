import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_list, env_str, env_url


def test_unset_and_blank_values_give_the_default() -> None:
    assert env_bool("X", True, environ={}) is True
    assert env_int("X", 5, environ={"X": "  "}) == 5
    assert env_str("X", "d", environ={}) == "d"
    assert env_list("X", ["a"], environ={}) == ["a"]


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("YES", True), ("off", False), ("0", False)]
)
def test_env_bool_parses(raw: str, expected: bool) -> None:
    assert env_bool("DEBUG", not expected, environ={"DEBUG": raw}) is expected


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: env_bool("DEBUG", True, environ={"DEBUG": "maybe"}),
            "DEBUG='maybe' is not a boolean",
        ),
        (
            lambda: env_int("PORT", 1, environ={"PORT": "eighty"}),
            "PORT='eighty' is not a whole number",
        ),
        (lambda: env_int("N", 1, minimum=1, environ={"N": "0"}), "N=0 is below the minimum of 1"),
        (lambda: env_int("N", 1, maximum=9, environ={"N": "10"}), "N=10 is above the maximum of 9"),
        (
            lambda: env_choice(
                "LOG_LEVEL", "INFO", ("INFO", "DEBUG"), environ={"LOG_LEVEL": "LOUD"}
            ),
            "LOG_LEVEL='LOUD' must be one of: INFO, DEBUG",
        ),
        (
            lambda: env_url(
                "DATABASE_URL",
                "",
                schemes=("sqlite", "postgres"),
                environ={"DATABASE_URL": "mysql://x/y"},
            ),
            "DATABASE_URL uses the scheme 'mysql'",
        ),
        (
            lambda: env_url(
                "DATABASE_URL", "", schemes=("postgres",), environ={"DATABASE_URL": "localhost"}
            ),
            "is not a URL",
        ),
    ],
)
def test_bad_values_stop_with_a_message_naming_the_variable(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImproperlyConfigured, match=message):
        call()


def test_env_list_splits_on_commas() -> None:
    assert env_list("H", [], environ={"H": "a.example, b.example,,"}) == ["a.example", "b.example"]


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_secret_key_is_required_when_debug_is_off() -> None:
    result = _start({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_bad_value_stops_start_up() -> None:
    result = _start({"DEBUG": "perhaps"})
    assert result.returncode != 0
    assert "DEBUG='perhaps' is not a boolean" in result.stderr


def test_production_settings_start() -> None:
    result = _start({"DEBUG": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "stories.example"})
    assert result.returncode == 0, result.stderr


def test_embedded_default_is_sqlite_locmem_and_eager() -> None:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL"}
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
        "s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG)"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "apps.observability.cache.MeteredLocMemCache",
        "True",
        "True",
    ]
