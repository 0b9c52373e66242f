"""Servers on loopback for the load tests: the null sink in a thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from fixtures.flood.null_sink import NullSmtp


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def null_sink() -> Iterator[tuple[Counter[str], int]]:
    loop = asyncio.new_event_loop()
    accepted: Counter[str] = Counter()
    server = loop.run_until_complete(loop.create_server(lambda: NullSmtp(accepted), "127.0.0.1", 0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield accepted, server.sockets[0].getsockname()[1]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        server.close()
        loop.close()
