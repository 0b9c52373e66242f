"""--data-dir: a member killed with SIGKILL comes back with its data, config and term."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pymongo import ReadPreference, WriteConcern
from pymongo.errors import DuplicateKeyError

from bson.int64 import Int64
from bson.timestamp import Timestamp

from fixtures.mongoemu.journal import Journal
from fixtures.mongoemu.oplog import Oplog, OpTime
from fixtures.mongoemu.storage import Store

from .cluster import Member, ReplicaSet, wait_started, wait_until
from .test_cli import run_cli


def test_standalone_survives_sigkill(member_factory: Callable[..., Member], tmp_path: Path) -> None:
    data_dir = tmp_path / "standalone-data"
    member = member_factory("--standalone", "--data-dir", str(data_dir))
    with member.client() as client:
        client.mail.messages.create_index("message_id", unique=True)
        client.mail.messages.insert_many([{"message_id": n, "state": "queued"} for n in range(50)])
        client.mail.messages.update_one({"message_id": 7}, {"$set": {"state": "sent"}})
        client.mail.messages.delete_one({"message_id": 8})
    member.kill()
    restarted = member_factory("--standalone", "--data-dir", str(data_dir), port=member.port)
    with restarted.client() as client:
        assert client.mail.messages.count_documents({}) == 49
        assert client.mail.messages.find_one({"message_id": 7}, {"_id": 0}) == {"message_id": 7, "state": "sent"}
        with pytest.raises(DuplicateKeyError):
            client.mail.messages.insert_one({"message_id": 1})


def test_replica_set_member_restarts_from_its_data_dir(member_factory: Callable[..., Member], tmp_path: Path) -> None:
    data_dirs = [tmp_path / f"member-{index}" for index in range(3)]
    members = [member_factory("--replset", "rs0", "--data-dir", str(path), wait=False) for path in data_dirs]
    for member in members:
        wait_started(member)
    replica_set = ReplicaSet("rs0", members)
    replica_set.initiate()
    primary = replica_set.wait_for_primary()
    with replica_set.client() as client:
        client.db.get_collection("events", write_concern=WriteConcern(w=3, wtimeout=10000)).insert_many([{"_id": n} for n in range(100)])
    victim_index = next(index for index, member in enumerate(members) if member is not primary)
    victim = members[victim_index]
    term_before = victim.command("replSetGetStatus")["term"]
    victim.kill()
    restarted = member_factory("--replset", "rs0", "--data-dir", str(data_dirs[victim_index]), port=victim.port)
    members[victim_index] = restarted
    status = restarted.command("replSetGetStatus")  # no replSetInitiate needed: the config was kept
    assert status["term"] >= term_before
    with restarted.client() as direct:
        events = direct.db.get_collection("events", read_preference=ReadPreference.SECONDARY_PREFERRED)
        wait_until(lambda: events.count_documents({}) == 100, 20, "the restarted member's data")
    wait_until(lambda: replica_set.state_of(restarted) == "SECONDARY", 20, "the restarted member to rejoin")
    assert "resync_done" not in restarted.log()


def test_unusable_data_dir_is_reported(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    result = run_cli("--me", "127.0.0.1:1", "--port", "1", "--standalone", "--data-dir", str(not_a_directory))
    assert result.returncode == 1
    assert "cannot use data directory" in result.stderr and "Traceback" not in result.stderr


def test_snapshot_then_journal_restores_store_and_oplog(tmp_path: Path) -> None:
    def entry(seconds: int, document: dict[str, object]) -> dict[str, object]:
        return {"ts": Timestamp(seconds, 1), "t": Int64(1), "op": "i", "ns": "db.c", "o": document}

    store, oplog = Store(), Oplog()
    journal = Journal(tmp_path)
    oplog.journal = journal
    store.apply({"op": "c", "ns": "db.$cmd", "o": {"createIndexes": "c", "spec": {"key": {"k": 1}, "name": "k_1", "unique": True}}})
    for number in range(3):
        store.apply(entry(number + 1, {"_id": number, "k": number}))
        oplog.append(entry(number + 1, {"_id": number, "k": number}))
    oplog.truncate_after(OpTime(1, 2, 1))  # as a rollback would, before the snapshot
    store.collection("db", "c").delete(2)
    journal.write_snapshot(store, oplog)
    store.apply(entry(9, {"_id": 9, "k": 9}))
    oplog.append(entry(9, {"_id": 9, "k": 9}))

    restored_store, restored_oplog = Store(), Oplog()
    assert Journal(tmp_path).restore(restored_store, restored_oplog) == 1
    restored = restored_store.collection("db", "c")
    assert sorted(restored.documents.values(), key=lambda doc: doc["_id"]) == [{"_id": 0, "k": 0}, {"_id": 1, "k": 1}, {"_id": 9, "k": 9}]
    assert [index.name for index in restored.indexes.values()] == ["k_1"]
    assert restored_oplog.last == OpTime(1, 9, 1) and len(restored_oplog.entries) == 3
