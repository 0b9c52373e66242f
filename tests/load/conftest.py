"""Servers on loopback for the load tests: the null sink in a thread."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from fixtures.flood.null_sink import NullSink


@pytest.fixture
def null_sink() -> Iterator[tuple[Counter[str], int]]:
    sink = NullSink("127.0.0.1", 0, 0)
    stop = threading.Event()
    thread = threading.Thread(target=sink.serve, args=(stop,), daemon=True)
    thread.start()
    try:
        yield sink.accepted, sink.port
    finally:
        stop.set()
        thread.join(5)
