"""Typed readers for environment variables.

Each helper returns a default when the variable is unset or empty and stops start-up
with an ImproperlyConfigured error that names the variable when its value is invalid.
"""

import ipaddress
import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

from apps.core.limits import parse_rate

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
FALSE_VALUES = frozenset({"0", "false", "no", "off"})


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str = "", *, environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    return default if value is None else value


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in TRUE_VALUES:
        return True
    if lowered in FALSE_VALUES:
        return False
    allowed = ", ".join(sorted(TRUE_VALUES | FALSE_VALUES))
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use one of: {allowed}.")


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={number} is above the maximum of {maximum}.")
    return number


def env_list(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """A comma-separated list; blank items are dropped."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(
    name: str, default: str, choices: tuple[str, ...], *, environ: Mapping[str, str] | None = None
) -> str:
    value = _raw(name, environ)
    if value is None:
        return default
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}.")
    return value


def env_url(
    name: str,
    default: str,
    *,
    schemes: tuple[str, ...],
    environ: Mapping[str, str] | None = None,
) -> str:
    """A URL whose scheme is one of `schemes` (checked before anything connects to it)."""
    value = _raw(name, environ)
    if value is None:
        return default
    scheme, sep, rest = value.partition("://")
    if not sep or not rest:
        raise ImproperlyConfigured(f"{name}={value!r} is not a URL (expected scheme://...).")
    if scheme.lower() not in schemes:
        raise ImproperlyConfigured(
            f"{name} uses the scheme {scheme!r}; supported schemes: {', '.join(schemes)}."
        )
    return value


def env_networks(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """A comma-separated list of IP networks in CIDR form (a bare address is a /32 or /128).

    Returns each network in canonical form; host bits set (10.0.0.1/8) are an error.
    """
    networks = []
    for item in env_list(name, default, environ=environ):
        try:
            networks.append(ipaddress.ip_network(item, strict=True).with_prefixlen)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not a network in CIDR form ({exc})."
            ) from None
    return networks


def env_rate(name: str, default: str, *, environ: Mapping[str, str] | None = None) -> str:
    """A rate like 120/min (count/period), checked here and read by apps.core.limits."""
    value = env_str(name, default, environ=environ)
    try:
        parse_rate(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate like 120/min.") from None
    return value
