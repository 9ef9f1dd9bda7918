"""Waiting for a condition, and skipping (or, in CI, failing) a test whose server cannot run."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_for(
    condition: Callable[[], T],
    timeout: float,
    message: str | Callable[[], str] = "",
    *,
    interval: float = 0.05,
) -> T:
    """Call ``condition`` until it returns something true and return that; fail the test when
    ``timeout`` seconds pass first. ``message`` (or a function making it, called only on
    failure, e.g. to read a log) says what was awaited. ``condition`` may itself assert, to
    stop waiting at once for something that can no longer happen."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = condition()
        if outcome:
            return outcome
        if time.monotonic() > deadline:
            said = message() if callable(message) else message
            pytest.fail(f"not within {timeout:g} s: {said or condition}")
        time.sleep(interval)


def server_unavailable(message: str) -> None:
    """Skip a test whose server cannot run here, but fail it where servers are required (CI
    sets SEARCH_REQUIRE_SERVERS=1), so a missing server never passes as a skipped test."""
    if os.environ.get("SEARCH_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{message} (SEARCH_REQUIRE_SERVERS=1)")
    pytest.skip(message)
