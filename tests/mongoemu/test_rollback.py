"""Rollback: a w:1 write that never reached a majority is undone when its primary rejoins."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from pymongo import ReadPreference, WriteConcern

from fixtures.mongoemu.replication import FETCH_MAX_WAIT_SECONDS

from .cluster import Member, ReplicaSet, wait_until

# A longer election timeout than the other tests: the primary must keep its role for a
# moment after losing both secondaries (see the comment at the w:1 write).
SETTINGS = {"heartbeatIntervalMillis": 200, "electionTimeoutMillis": 3000}


def test_unreplicated_w1_write_is_rolled_back_and_recorded(
    replica_set_factory: Callable[..., ReplicaSet], member_factory: Callable[..., Member], tmp_path: Path
) -> None:
    replica_set = replica_set_factory(data_dirs=True)
    replica_set.initiate(SETTINGS)
    old_primary = replica_set.wait_for_primary()
    secondaries = [member for member in replica_set.members if member is not old_primary]
    with replica_set.client() as client:
        durable = client.db.get_collection("mail", write_concern=WriteConcern(w="majority", wtimeout=10000))
        durable.insert_many([{"_id": f"majority-{n}"} for n in range(10)])

    for secondary in secondaries:
        secondary.pause()
    # A paused secondary may still have an oplog fetch waiting on the primary, and the kernel
    # would buffer the answer for it; let those long polls expire so the write stays unreplicated.
    time.sleep(FETCH_MAX_WAIT_SECONDS * 2)
    with old_primary.client() as direct:
        direct.db.get_collection("mail", write_concern=WriteConcern(w=1)).insert_one({"_id": "unreplicated"})
    old_primary.pause()

    for secondary in secondaries:
        secondary.resume()
    new_primary = replica_set.wait_for_primary(among=secondaries, timeout=20)
    with new_primary.client() as direct:
        direct.db.get_collection("mail", write_concern=WriteConcern(w="majority", wtimeout=10000)).insert_one({"_id": "new-term"})

    old_primary.resume()
    wait_until(lambda: old_primary.command("replSetGetStatus")["rollbackCount"] >= 1, 20, "the old primary to roll back")
    wait_until(lambda: replica_set.state_of(old_primary) == "SECONDARY", 20, "the old primary to become a secondary")

    expected = sorted([f"majority-{n}" for n in range(10)] + ["new-term"])
    for member in replica_set.members:
        with member.client() as direct:
            mail = direct.db.get_collection("mail", read_preference=ReadPreference.SECONDARY_PREFERRED)
            wait_until(lambda: sorted(doc["_id"] for doc in mail.find()) == expected, 20, f"{member.host} to converge")

    with old_primary.client() as direct:
        recorded = list(direct.local.get_collection("rollback", read_preference=ReadPreference.SECONDARY_PREFERRED).find())
    assert [entry["entry"]["o"]["_id"] for entry in recorded] == ["unreplicated"]
    assert recorded[0]["entry"]["ns"] == "db.mail"
    assert '"event": "rollback"' in old_primary.log()

    # The rollback rewrote the member's journal: a restart from its data dir must not resurrect the write.
    index = replica_set.members.index(old_primary)
    old_primary.kill()
    restarted = member_factory("--replset", "rs0", "--data-dir", str(tmp_path / f"data-{index}"), port=old_primary.port)
    with restarted.client() as direct:
        mail = direct.db.get_collection("mail", read_preference=ReadPreference.SECONDARY_PREFERRED)
        assert "unreplicated" not in {doc["_id"] for doc in mail.find()}
