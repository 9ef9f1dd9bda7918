"""What a setting is and how its text is read: the parsers of the settings table.

A parser turns the text of an environment variable into the setting's typed value, or raises
``ValueError`` saying what is wrong (the loader names the variable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, default (as the string a user would write) and help."""

    env: str
    default: str
    help: str
    parse: Callable[[str], Any] = str


def languages(value: str) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(code.strip().lower() for code in value.split(",") if code.strip()))
    if not codes:
        raise ValueError("at least one language code is required")
    return codes


def lowercase(value: str) -> str:
    return value.lower()


def rate_limits(value: str) -> str:
    """A rate limit such as ``20/second;600/minute``, checked when the settings load rather
    than on the first request."""
    from limits import parse_many

    parse_many(value)  # ValueError naming what it could not read
    return value


def origins(value: str) -> tuple[str, ...]:
    return tuple(origin.strip().rstrip("/") for origin in value.split(",") if origin.strip())


def choice(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip().lower()
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return parse


def at_least(minimum: int) -> Callable[[str], int]:
    message = {0: "must be zero or more", 1: "must be greater than zero"}.get(
        minimum, f"must be {minimum} or more"
    )

    def parse(value: str) -> int:
        number = int(value)
        if number < minimum:
            raise ValueError(message)
        return number

    return parse


def from_zero(*, positive: bool = False, most: float | None = None) -> Callable[[str], float]:
    """Seconds, a share or a factor: never negative, above zero if ``positive``, at most
    ``most``."""

    def parse(value: str) -> float:
        number = float(value)
        if most is not None and not 0 <= number <= most:
            raise ValueError(f"must be between 0 and {most:g}")
        if number < 0 or (positive and number == 0):
            raise ValueError("must be greater than zero" if positive else "must be zero or more")
        return number

    return parse


positive_int = at_least(1)
non_negative_int = at_least(0)
positive_float = from_zero(positive=True)
non_negative_float = from_zero()
share = from_zero(most=1)


def setting(
    env: str, default: str, help: str, parse: Callable[[str], Any] = str, *, secret: bool = False
) -> Any:
    """A field of :class:`Config` that carries its :class:`Setting`; no default of its own,
    since :func:`load` parses every value from the environment or the setting's default. A
    ``secret`` value never appears in a repr, a log line or an error message."""
    return field(repr=not secret, metadata={"setting": Setting(env, default, help, parse)})
