"""Waiting in the harness's own tests: poll a condition with a deadline, never sleep and hope.

Importable from every test folder: pytest puts tests/ on sys.path for tests/conftest.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T],
    timeout: float,
    what: str,
    *,
    interval: float = 0.05,
    tolerate: tuple[type[Exception], ...] = (),
) -> T:
    """Poll `condition` until it returns something truthy, and return that; fail naming `what`
    at the deadline. A `tolerate`d exception counts as "not yet", and the last one is reported."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = condition()
            if result:
                return result
        except tolerate as error:
            last_error = error
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))
        time.sleep(interval)
