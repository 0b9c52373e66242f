"""Multi-document transactions across the replica set: step-down, failover and plain writes that meet them.

(Isolation, write conflicts and error labels are pinned by MongoDB's own
transactions specification tests, test_spec_conformance.py.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from pymongo import WriteConcern
from pymongo.errors import OperationFailure, PyMongoError

from .cluster import TEST_SETTINGS, ReplicaSet, wait_until


def test_a_transaction_open_on_a_primary_that_steps_down_is_aborted(replica_set: ReplicaSet) -> None:
    primary = replica_set.wait_for_primary()
    with replica_set.client() as client:
        accounts = client.bank.get_collection("accounts", write_concern=WriteConcern(w="majority"))
        accounts.insert_one({"_id": "alice", "balance": 100})
        with client.start_session() as session:
            session.start_transaction(write_concern=WriteConcern(w="majority"))
            accounts.update_one({"_id": "alice"}, {"$inc": {"balance": -30}}, session=session)
            primary.command("replSetStepDown", 10, secondaryCatchUpPeriodSecs=5)
            with pytest.raises(OperationFailure) as refused:
                session.commit_transaction()
        assert refused.value.has_error_label("TransientTransactionError") or refused.value.code == 251, refused.value.details
        assert accounts.find_one({"_id": "alice"})["balance"] == 100
    assert '"event": "transaction_aborted"' in primary.log()


def test_a_commit_retried_on_the_new_primary_after_a_failover_finds_it_committed(replica_set: ReplicaSet) -> None:
    """The driver's answer to UnknownTransactionCommitResult: commit again, wherever the primary is now."""
    old_primary = replica_set.wait_for_primary()
    with replica_set.client() as client:
        ledger = client.bank.get_collection("ledger", write_concern=WriteConcern(w="majority"))
        with client.start_session() as session:
            session.start_transaction(write_concern=WriteConcern(w="majority"))
            ledger.insert_one({"_id": "entry-1"}, session=session)
            ledger.insert_one({"_id": "entry-2"}, session=session)
            session.commit_transaction()
            old_primary.command("replSetStepDown", 10, secondaryCatchUpPeriodSecs=5)
            new_primary = replica_set.wait_for_primary(among=[member for member in replica_set.members if member is not old_primary])
            wait_until(lambda: client.primary == ("127.0.0.1", new_primary.port), 15, "the client to find the new primary")
            session.commit_transaction()  # sent to the new primary, which learnt the commit through the oplog
        assert sorted(document["_id"] for document in ledger.find()) == ["entry-1", "entry-2"]


def test_a_commit_rolled_back_with_its_primary_is_not_acknowledged_when_retried_there(
    replica_set_factory: Callable[..., ReplicaSet],
) -> None:
    """The commit reaches only the primary; a new primary is elected without it; the old one rolls
    it back, is elected again and then gets the driver's retry: it must not say "committed"."""
    replica_set = replica_set_factory()
    # No member stands or steps down on its own within the test (elections are asked for with
    # replSetStepUp), so how long a loaded machine takes between two steps cannot change the story.
    replica_set.initiate({**TEST_SETTINGS, "electionTimeoutMillis": 60_000})
    old_primary, *others = replica_set.members
    wait_until(lambda: old_primary.command("replSetStepUp") is not None, 30, "the first primary to be elected")
    with replica_set.client(serverSelectionTimeoutMS=2000) as client:
        ledger = client.bank.get_collection("ledger", write_concern=WriteConcern(w=3))
        ledger.insert_one({"_id": "opening"})  # on every member, so either of the others can be elected
        with client.start_session() as session:
            session.start_transaction(write_concern=WriteConcern(w="majority", wtimeout=1000))
            ledger.insert_one({"_id": "lost-with-its-primary"}, session=session)
            for member in others:
                member.pause()
            # Three times a secondary's 0.5 s oplog long poll: one still waiting on the primary
            # when it was paused would carry the commit away.
            time.sleep(1.5)
            with pytest.raises(PyMongoError):
                session.commit_transaction()  # applied on the old primary alone, then times out waiting for the others
            old_primary.pause()
            for member in others:
                member.resume()
            wait_until(lambda: others[0].command("replSetStepUp") is not None, 30, "another member to be elected without the commit")
            old_primary.resume()
            wait_until(lambda: old_primary.command("replSetGetStatus")["rollbackCount"] >= 1, 30, "the old primary to roll back")
            wait_until(lambda: old_primary.command("replSetStepUp") is not None, 30, "the old primary to be elected again")
            wait_until(lambda: client.primary == ("127.0.0.1", old_primary.port), 15, "the client to find it primary")
            with pytest.raises(OperationFailure) as refused:
                session.commit_transaction()
        assert refused.value.code == 251 and refused.value.has_error_label("TransientTransactionError"), refused.value.details
        assert ledger.find_one({"_id": "lost-with-its-primary"}) is None


def test_a_plain_write_to_a_document_a_transaction_holds_waits_for_the_commit(replica_set: ReplicaSet) -> None:
    with replica_set.client() as client:
        counters = client.app.get_collection("counters", write_concern=WriteConcern(w="majority"))
        counters.insert_one({"_id": "hits", "n": 0})
        plain_write_done = threading.Event()
        errors: list[PyMongoError] = []

        def plain_increment() -> None:
            try:
                counters.update_one({"_id": "hits"}, {"$inc": {"n": 1}})
            except PyMongoError as failure:
                errors.append(failure)
            plain_write_done.set()

        with client.start_session() as session:
            session.start_transaction()
            counters.update_one({"_id": "hits"}, {"$inc": {"n": 10}}, session=session)
            writer = threading.Thread(target=plain_increment)
            writer.start()
            assert not plain_write_done.wait(0.5), "the plain write did not wait for the transaction"
            session.commit_transaction()
        assert plain_write_done.wait(10)
        writer.join()
        assert not errors
        assert counters.find_one({"_id": "hits"})["n"] == 11
