"""The primary's oplog fetches gather w:1 writes into batches, but never hold back a write
that waits for replication. One in-process primary; its peers are never reached."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from fixtures.mongoemu import replication
from fixtures.mongoemu.config import ReplSetConfig
from fixtures.mongoemu.coordinator import Coordinator
from fixtures.mongoemu.member import Member, MemberOptions

ME = "127.0.0.1:1"
# Ports nothing listens on: the primary's heartbeats fail at once, and the test ends long
# before a failed heartbeat could cost it its primacy (10 s election timeout).
PEERS = ["127.0.0.1:2", "127.0.0.1:3"]


def elected_primary() -> Member:
    member = Member(MemberOptions(me=ME, port=1, bind="127.0.0.1", replset="rs0", standalone=False, arbiter=False))
    member.coordinator = Coordinator(member)
    hosts = [ME, *PEERS]
    config = {"_id": "rs0", "version": 1, "members": [{"_id": index, "host": host} for index, host in enumerate(hosts)]}
    member.coordinator.install_config(ReplSetConfig.from_doc(config), "test")
    member.term = 1
    member.coordinator.become_primary("test")
    return member


def fetch_request(member: Member) -> dict[str, Any]:
    return {"after": member.last_applied.to_doc(), "from": PEERS[0], "term": 1, "limit": 100, "maxWaitMS": 500}


def test_a_write_waiting_for_majority_ends_the_batch_window_of_w1_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Long enough that only the waiting write can end the window before the test gives up.
    monkeypatch.setattr(replication, "IDLE_BATCH_WINDOW_SECONDS", 600)

    async def scenario() -> list[Any]:
        member = elected_primary()
        coordinator = member.coordinator
        assert coordinator is not None
        request = fetch_request(member)
        member.log_op("i", "db.mail", {"_id": "w1"})
        fetch = asyncio.ensure_future(coordinator.replication.serve_fetch(request))
        await asyncio.sleep(0.05)
        assert not fetch.done(), "with no write waiting, the fetch gathers a batch"
        member.log_op("i", "db.mail", {"_id": "majority"})
        waiting = asyncio.ensure_future(coordinator.wait_for_write_concern({"w": "majority"}))
        reply = await asyncio.wait_for(fetch, timeout=10)
        waiting.cancel()
        return [entry["o"]["_id"] for entry in reply["entries"] if entry["op"] == "i"]

    assert asyncio.run(scenario()) == ["w1", "majority"]
