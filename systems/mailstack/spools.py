"""Between runs on one stack (outage explore): every SMTP server's spool drained, so mail a
run accepted is stored before the next run's ledger starts counting afresh."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx

from harness.errors import HarnessError
from harness.extensions import SETUPS
from harness.roles import StackSetup
from harness.topology import Node
from systems.mailstack.roles import SMTP, side_port

if TYPE_CHECKING:
    from harness.stack import Stack

DRAIN_WAIT_S = 60


def _drained(stack: Stack, servers: list[Node]) -> None:
    deadline = time.monotonic() + DRAIN_WAIT_S
    pending: dict[str, int] = {}
    while time.monotonic() < deadline:
        pending = {server.name: _pending(stack, server) for server in servers}
        if not any(pending.values()):
            return
        time.sleep(0.5)
    waiting = ", ".join(f"{name}: {count}" for name, count in pending.items() if count)
    raise HarnessError(f"SMTP spools not drained {DRAIN_WAIT_S} s after the reset ({waiting})",
                       "look at the SMTP servers' logs: can they reach the database?")


def _pending(stack: Stack, server: Node) -> int:
    port = stack.access(server.name).published[side_port(server)]
    try:
        return int(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).json()["spool_pending"])
    except (httpx.HTTPError, KeyError, ValueError):
        return -1  # not answering yet counts as not drained


SETUPS.register(StackSetup("mailstack-spools", (SMTP,), None, reset=_drained))
