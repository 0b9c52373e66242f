"""Failover: the primary dies or freezes, a new one is elected, pymongo's writes go through again."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest
from pymongo import ReadPreference, WriteConcern
from pymongo.errors import OperationFailure

from .cluster import Member, ReplicaSet, wait_until


def test_sigkill_primary_elects_a_new_one_and_writes_resume(replica_set: ReplicaSet) -> None:
    old_primary = replica_set.wait_for_primary()
    with replica_set.client() as client:
        collection = client.db.get_collection("events", write_concern=WriteConcern(w="majority", wtimeout=10000))
        collection.insert_one({"_id": "before"})
        old_primary.kill()
        started = time.monotonic()
        survivors = [member for member in replica_set.members if member is not old_primary]
        new_primary = replica_set.wait_for_primary(among=survivors, timeout=20)
        collection.insert_one({"_id": "after"})  # pymongo finds the new primary (and may retry)
        print(f"write accepted by the new primary {new_primary.host} {time.monotonic() - started:.2f}s after SIGKILL")
        assert sorted(doc["_id"] for doc in collection.find()) == ["after", "before"]


def test_sigstopped_primary_is_replaced_then_steps_down_and_catches_up(replica_set: ReplicaSet) -> None:
    old_primary = replica_set.wait_for_primary()
    with replica_set.client(socketTimeoutMS=3000) as client:
        collection = client.db.get_collection("events", write_concern=WriteConcern(w="majority", wtimeout=10000))
        collection.insert_one({"_id": "before"})
        old_primary.pause()
        survivors = [member for member in replica_set.members if member is not old_primary]
        new_primary = replica_set.wait_for_primary(among=survivors, timeout=20)
        collection.insert_many([{"_id": f"during-{n}"} for n in range(50)])
        assert new_primary.command("replSetGetStatus")["term"] > 1
        old_primary.resume()
        wait_until(lambda: replica_set.state_of(old_primary) == "SECONDARY", 20, "the resumed old primary to step down")
        with old_primary.client() as direct:
            mine = direct.db.get_collection("events", read_preference=ReadPreference.SECONDARY_PREFERRED)
            wait_until(lambda: mine.count_documents({}) == 51, 20, "the old primary to catch up")
        assert replica_set.primary() is new_primary


def test_restarted_member_relearns_config_and_resyncs(replica_set: ReplicaSet, member_factory: Callable[..., Member]) -> None:
    primary = replica_set.wait_for_primary()
    victim = next(member for member in replica_set.members if member is not primary)
    with replica_set.client() as client:
        client.db.get_collection("events", write_concern=WriteConcern(w="majority", wtimeout=10000)).insert_many(
            [{"_id": n} for n in range(100)]
        )
    victim.kill()
    restarted = member_factory("--replset", replica_set.name, port=victim.port)
    replica_set.members[replica_set.members.index(victim)] = restarted
    wait_until(lambda: replica_set.state_of(restarted) == "SECONDARY", 20, "the restarted member to rejoin")
    with restarted.client() as direct:
        events = direct.db.get_collection("events", read_preference=ReadPreference.SECONDARY_PREFERRED)
        wait_until(lambda: events.count_documents({}) == 100, 20, "the restarted member to copy the data")


def test_blackholed_member_never_hangs_initiate(member_factory: Callable[..., Member]) -> None:
    """A peer that accepts TCP and never answers (a Toxiproxy timeout toxic) must time out."""
    with socket.socket() as blackhole:
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen()
        silent_port = blackhole.getsockname()[1]
        member = member_factory("--replset", "rs0")
        config = {
            "_id": "rs0",
            "members": [{"_id": 0, "host": member.host}, {"_id": 1, "host": f"localhost:{silent_port}"}],
            "settings": {"heartbeatIntervalMillis": 200, "electionTimeoutMillis": 1000},
        }
        with member.client(socketTimeoutMS=10000) as client:
            with pytest.raises(OperationFailure) as failure:
                client.admin.command("replSetInitiate", config)
    assert failure.value.code == 74
    assert f"localhost:{silent_port}" in str(failure.value)
