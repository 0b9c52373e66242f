"""The runs these tests interrupt take Ctrl-C as they would at a terminal."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def ctrl_c_reaches_started_runs() -> Iterator[None]:
    """A suite started in the background (`make test &`) inherits SIGINT ignored, and so would
    every run it starts: their SIGINT would be dropped, not tested. A handler, unlike "ignored",
    is reset to the default in a started process."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
