"""A three-member set seen through real pymongo: discovery, replication, write concern, roles."""

from __future__ import annotations

import socket
import struct
import uuid
from collections.abc import Callable
from typing import Any

import pymongo
import pytest
from pymongo import ReadPreference, WriteConcern
from pymongo.errors import DuplicateKeyError, NotPrimaryError, OperationFailure, WriteConcernError

from fixtures.mongoemu import wire

from .cluster import TEST_SETTINGS, Member, ReplicaSet, wait_until


def test_discovery_through_replica_set_uri(replica_set: ReplicaSet) -> None:
    primary = replica_set.wait_for_primary()
    with replica_set.client() as client:
        client.admin.command("ping")
        assert wait_until(lambda: client.primary, 10, "pymongo to find the primary") == ("127.0.0.1", primary.port)
        expected_secondaries = {("127.0.0.1", member.port) for member in replica_set.members if member is not primary}
        wait_until(lambda: client.secondaries == expected_secondaries, 10, "pymongo to find both secondaries")
    hello = primary.command("hello")
    assert hello["setName"] == "rs0" and hello["isWritablePrimary"] is True and hello["me"] == primary.host
    assert sorted(hello["hosts"]) == sorted(member.host for member in replica_set.members)
    assert hello["electionId"] is not None and hello["setVersion"] == 1
    assert {"opTime", "lastWriteDate", "majorityOpTime"} <= set(hello["lastWrite"])
    status = primary.command("replSetGetStatus")
    assert status["set"] == "rs0" and status["myState"] == 1 and status["term"] >= 1
    assert sorted(entry["stateStr"] for entry in status["members"]) == ["PRIMARY", "SECONDARY", "SECONDARY"]
    for member in replica_set.members:
        config = member.command("replSetGetConfig")["config"]
        assert config["settings"]["electionTimeoutMillis"] == TEST_SETTINGS["electionTimeoutMillis"]


def test_crud_aggregate_and_replication_to_secondaries(replica_set: ReplicaSet) -> None:
    with replica_set.client() as client:
        accounts = client.mail.get_collection("accounts", write_concern=WriteConcern(w="majority", wtimeout=10000))
        accounts.create_index("email", unique=True)
        accounts.insert_many([{"email": f"u{n}@example.test", "quota": n, "domain": "ab"[n % 2]} for n in range(20)])
        accounts.update_many({"domain": "a"}, {"$inc": {"quota": 100}})
        accounts.delete_one({"email": "u1@example.test"})
        with pytest.raises(DuplicateKeyError):
            accounts.insert_one({"email": "u2@example.test"})
        assert accounts.count_documents({}) == 19
        assert sorted(accounts.distinct("domain")) == ["a", "b"]
        totals = {row["_id"]: row["total"] for row in accounts.aggregate([{"$group": {"_id": "$domain", "total": {"$sum": "$quota"}}}])}
        assert totals == {"a": sum(range(0, 20, 2)) + 1000, "b": sum(range(3, 20, 2))}
        expected = sorted((doc["email"], doc["quota"]) for doc in accounts.find())
    for member in replica_set.members:
        with member.client() as direct:
            copy = direct.mail.get_collection("accounts", read_preference=ReadPreference.SECONDARY_PREFERRED)
            wait_until(lambda: sorted((doc["email"], doc["quota"]) for doc in copy.find()) == expected, 10, f"{member.host} to hold the data")
            assert {index["name"] for index in copy.list_indexes()} == {"_id_", "email_1"}


def raw_command(member: Member, body: dict[str, Any]) -> dict[str, Any]:
    """Send one OP_MSG exactly as given (no driver-added $readPreference) and decode the reply."""
    with socket.create_connection(("127.0.0.1", member.port), timeout=5) as connection:
        _, message = wire.encode_op_msg(body)
        connection.sendall(message)
        header = _receive(connection, 16)
        length, _, _, op_code = struct.unpack("<iiii", header)
        reply, _ = wire.decode_reply(op_code, _receive(connection, length - 16))
        return reply


def _receive(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        assert chunk, "connection closed early"
        data += chunk
    return data


def test_secondaries_refuse_writes_and_unflagged_reads(replica_set: ReplicaSet) -> None:
    primary = replica_set.wait_for_primary()
    secondary = next(member for member in replica_set.members if member is not primary)
    with secondary.client() as direct:
        with pytest.raises(NotPrimaryError) as refused_write:
            direct.db.coll.insert_one({"x": 1})
        assert refused_write.value.details["code"] == 10107
        assert direct.db.command("find", "coll", read_preference=ReadPreference.SECONDARY)["ok"] == 1.0
    refused_read = raw_command(secondary, {"find": "coll", "$db": "db"})
    assert (refused_read["ok"], refused_read["code"], refused_read["codeName"]) == (0.0, 13435, "NotPrimaryNoSecondaryOk")
    allowed_read = raw_command(secondary, {"find": "coll", "$db": "db", "$readPreference": {"mode": "secondaryPreferred"}})
    assert allowed_read["ok"] == 1.0
    refused_retryable = raw_command(
        secondary, {"insert": "coll", "documents": [{"x": 1}], "txnNumber": 1, "lsid": {"id": uuid.uuid4().bytes}, "$db": "db"}
    )
    assert refused_retryable["code"] == 10107 and refused_retryable["errorLabels"] == ["RetryableWriteError"]


def test_majority_write_times_out_without_secondaries(replica_set_factory: Callable[..., ReplicaSet]) -> None:
    replica_set = replica_set_factory()
    # A long election timeout keeps the lonely primary in office well past the 300 ms wtimeout.
    replica_set.initiate({"heartbeatIntervalMillis": 200, "electionTimeoutMillis": 5000})
    primary = replica_set.wait_for_primary()
    with primary.client() as client:
        client.db.coll.insert_one({"warm": True})
        for member in replica_set.members:
            if member is not primary:
                member.pause()
        collection = client.db.get_collection("coll", write_concern=WriteConcern(w="majority", wtimeout=300))
        with pytest.raises(WriteConcernError) as failure:
            collection.insert_one({"lonely": True})
    assert failure.value.code == 64
    assert failure.value.details["errInfo"]["wtimeout"] is True
    # Cut off from a majority, the primary steps down once the election timeout has passed.
    wait_until(lambda: replica_set.state_of(primary) == "SECONDARY", 20, "the isolated primary to step down")
    assert "can see only 1 of 3 voters" in primary.log()


def test_step_down_hands_over_to_a_caught_up_secondary(replica_set: ReplicaSet) -> None:
    old_primary = replica_set.wait_for_primary()
    with replica_set.client() as client:
        client.db.coll.insert_one({"before": True})
        old_primary.command("replSetStepDown", 30)
        new_primary = replica_set.wait_for_primary(timeout=15)
        assert new_primary is not old_primary
        client.db.coll.insert_one({"after": True})
        assert client.db.coll.count_documents({}) == 2
    assert replica_set.state_of(old_primary) == "SECONDARY"


def test_higher_priority_member_takes_over_when_caught_up(replica_set_factory: Callable[..., ReplicaSet]) -> None:
    replica_set = replica_set_factory()
    replica_set.initiate(priorities={0: 1, 1: 1, 2: 5})
    favourite = replica_set.members[2]
    wait_until(lambda: replica_set.primary() is favourite, 30, "the priority-5 member to become primary")
    with replica_set.client() as client:
        client.db.coll.insert_one({"x": 1})


def test_arbiter_votes_but_holds_no_data(replica_set_factory: Callable[..., ReplicaSet]) -> None:
    replica_set = replica_set_factory(data_members=2, arbiters=1)
    replica_set.initiate()
    primary = replica_set.wait_for_primary()
    arbiter = replica_set.arbiters[0]
    hello: dict[str, Any] = wait_until(lambda: (reply := arbiter.command("hello")).get("arbiterOnly") and reply, 10, "the arbiter role")
    assert hello["arbiters"] == [arbiter.host] and hello["secondary"] is False
    assert primary.command("replSetGetStatus")["writeMajorityCount"] == 2
    with replica_set.client() as client:
        client.db.coll.insert_one({"x": 1})
    secondary = next(member for member in replica_set.members if member is not primary)
    # With the secondary gone the arbiter's vote keeps a primary, and w:1 writes still work.
    secondary.pause()
    with replica_set.client() as client:
        client.db.get_collection("coll", write_concern=WriteConcern(w=1)).insert_one({"y": 1})
    arbiter_read = raw_command(arbiter, {"find": "coll", "$db": "db", "$readPreference": {"mode": "secondaryPreferred"}})
    assert arbiter_read["codeName"] == "NotPrimaryOrSecondary"
    states = {entry["name"]: entry["stateStr"] for entry in primary.command("replSetGetStatus")["members"]}
    assert states[arbiter.host] == "ARBITER"


def test_initiate_validates_config(replica_set_factory: Callable[..., ReplicaSet]) -> None:
    replica_set = replica_set_factory(data_members=1)
    member = replica_set.members[0]
    with pytest.raises(OperationFailure) as not_me:
        member.command("replSetInitiate", {"_id": "rs0", "members": [{"_id": 0, "host": "127.0.0.1:1"}]})
    assert not_me.value.code == 93
    with pytest.raises(OperationFailure) as wrong_name:
        member.command("replSetInitiate", {"_id": "other", "members": [{"_id": 0, "host": member.host}]})
    assert wrong_name.value.code == 93
    with pytest.raises(OperationFailure) as unreachable:
        member.command("replSetInitiate", {"_id": "rs0", "members": [{"_id": 0, "host": member.host}, {"_id": 1, "host": "127.0.0.1:9"}]})
    assert unreachable.value.code == 74
    assert member.command("hello")["isreplicaset"] is True
    member.command("replSetInitiate", {"_id": "rs0", "members": [{"_id": 0, "host": member.host}]})
    wait_until(lambda: member.command("hello")["isWritablePrimary"], 15, "a single-member set to elect itself")
    with pytest.raises(OperationFailure) as again:
        member.command("replSetInitiate", {"_id": "rs0", "members": [{"_id": 0, "host": member.host}]})
    assert again.value.code == 23
    with pymongo.MongoClient(f"mongodb://{member.host}/?replicaSet=rs0", serverSelectionTimeoutMS=10000) as client:
        client.db.coll.insert_one({"ok": True})


def test_causally_consistent_session_reads_its_writes_on_a_secondary(replica_set: ReplicaSet) -> None:
    with replica_set.client() as client:
        wait_until(lambda: len(client.secondaries) == 2, 10, "pymongo to see both secondaries")
        collection = client.db.get_collection("causal", write_concern=WriteConcern(w=1))
        from_secondary = collection.with_options(read_preference=ReadPreference.SECONDARY)
        with client.start_session(causal_consistency=True) as session:
            for number in range(20):
                collection.insert_one({"_id": number}, session=session)
                assert from_secondary.find_one({"_id": number}, session=session) == {"_id": number}
