"""Failover: the primary dies or freezes, a new one is elected, pymongo's writes go through again."""

from __future__ import annotations

import time

from pymongo import ReadPreference, WriteConcern

from .cluster import ReplicaSet, wait_until


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
