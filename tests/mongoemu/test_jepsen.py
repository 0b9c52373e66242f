"""Jepsen-style check: random SIGSTOP/SIGCONT of members while clients write with w:"majority".

Afterwards every acknowledged write must be present exactly once on every
member, and no write (acknowledged or not) may have been applied twice, which
exercises retryable writes across failovers. Reproduce a run with
MONGOEMU_JEPSEN_SEED=<seed printed by the test>.
"""

from __future__ import annotations

import os
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from pymongo import ReadPreference, WriteConcern
from pymongo.errors import PyMongoError

from .cluster import ReplicaSet
from .jepsen import converged_primary, run_under_nemesis

ROUNDS = int(os.environ.get("MONGOEMU_JEPSEN_ROUNDS", "20"))
WRITERS = 3


@dataclass
class History:
    acknowledged: dict[str, str] = field(default_factory=dict)
    indeterminate: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, uid: str, kind: str, ok: bool) -> None:
        with self.lock:
            (self.acknowledged if ok else self.indeterminate)[uid] = kind


def write_until(replica_set: ReplicaSet, writer: int, stop: threading.Event, history: History) -> None:
    with replica_set.client(serverSelectionTimeoutMS=2000, socketTimeoutMS=2000, connectTimeoutMS=1000) as client:
        collection = client.jepsen.get_collection("ops", write_concern=WriteConcern(w="majority", wtimeout=3000))
        number = 0
        while not stop.is_set():
            uid = f"w{writer}-{number}"
            kind = "insert" if number % 2 else "increment"
            number += 1
            try:
                if kind == "insert":
                    collection.insert_one({"_id": uid, "kind": kind})
                else:
                    collection.update_one({"_id": uid}, {"$inc": {"applied": 1}, "$set": {"kind": kind}}, upsert=True)
            except PyMongoError:
                history.record(uid, kind, ok=False)
            else:
                history.record(uid, kind, ok=True)


def documents_on(member: Any) -> dict[str, dict[str, Any]]:
    with member.client() as direct:
        collection = direct.jepsen.get_collection("ops", read_preference=ReadPreference.SECONDARY_PREFERRED)
        return {document["_id"]: document for document in collection.find()}


def test_random_pauses_lose_no_acknowledged_write(replica_set: ReplicaSet) -> None:
    seed = int(os.environ.get("MONGOEMU_JEPSEN_SEED", random.randrange(2**32)))
    print(f"\njepsen seed: {seed} (rerun with MONGOEMU_JEPSEN_SEED={seed})")
    history = History()
    stop = threading.Event()
    writers = [threading.Thread(target=write_until, args=(replica_set, index, stop, history)) for index in range(WRITERS)]
    schedule = run_under_nemesis(replica_set, writers, stop, lambda: len(history.acknowledged), seed, ROUNDS, join_seconds=30)
    print("\n".join(schedule))
    print(f"acknowledged {len(history.acknowledged)}, indeterminate {len(history.indeterminate)}")

    primary = converged_primary(replica_set)
    on_primary = documents_on(primary)
    lost = sorted(uid for uid in history.acknowledged if uid not in on_primary)
    assert not lost, f"acknowledged writes lost (seed {seed}): {lost[:20]}"
    applied_twice = sorted(uid for uid, document in on_primary.items() if document.get("applied", 1) != 1)
    assert not applied_twice, f"writes applied more than once (seed {seed}): {applied_twice[:20]}"
    unknown = sorted(set(on_primary) - set(history.acknowledged) - set(history.indeterminate))
    assert not unknown, f"documents nobody wrote (seed {seed}): {unknown[:20]}"
    for member in replica_set.members:
        assert documents_on(member) == on_primary, f"{member.host} differs from the primary (seed {seed})"
