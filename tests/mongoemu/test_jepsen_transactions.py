"""Jepsen-style bank: concurrent transfers through withTransaction while members are SIGSTOPped.

Each transfer moves an amount between two accounts and records itself in a
ledger, all in one transaction (readConcern snapshot, writeConcern majority).
Afterwards the total is conserved, every balance is exactly what the ledger
explains (so no transfer was lost, applied twice or applied in part), every
acknowledged transfer is in the ledger, nothing is in it that nobody sent, and
every member holds the same data. Reproduce a run with
MONGOEMU_JEPSEN_SEED=<seed printed by the test>.
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from pymongo import ReadPreference, WriteConcern
from pymongo.client_session import ClientSession
from pymongo.errors import PyMongoError
from pymongo.read_concern import ReadConcern

from .cluster import ReplicaSet
from .jepsen import converged_primary, run_under_nemesis

ROUNDS = int(os.environ.get("MONGOEMU_JEPSEN_TRANSACTION_ROUNDS", "10"))
ACCOUNTS = 5
OPENING_BALANCE = 100
WRITERS = 3


@dataclass
class Ledger:
    acknowledged: set[str] = field(default_factory=set)
    indeterminate: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, transfer_id: str, ok: bool) -> None:
        with self.lock:
            (self.acknowledged if ok else self.indeterminate).add(transfer_id)


def transfer_until(replica_set: ReplicaSet, writer: int, seed: int, stop: threading.Event, ledger: Ledger) -> None:
    rng = random.Random(seed * 100 + writer)
    with replica_set.client(serverSelectionTimeoutMS=2000, socketTimeoutMS=2000, connectTimeoutMS=1000) as client:
        bank = client.get_database("bank")
        number = 0
        while not stop.is_set():
            transfer_id = f"w{writer}-{number}"
            number += 1
            source, target = rng.sample(range(ACCOUNTS), 2)
            amount = rng.randint(1, 20)

            def move(session: ClientSession) -> None:
                bank.accounts.update_one({"_id": source}, {"$inc": {"balance": -amount}}, session=session)
                bank.accounts.update_one({"_id": target}, {"$inc": {"balance": amount}}, session=session)
                bank.transfers.insert_one({"_id": transfer_id, "from": source, "to": target, "amount": amount}, session=session)

            try:
                with client.start_session() as session:
                    session.with_transaction(
                        move, read_concern=ReadConcern("snapshot"), write_concern=WriteConcern(w="majority", wtimeout=3000), max_commit_time_ms=3000
                    )
            except PyMongoError:
                ledger.record(transfer_id, ok=False)
            else:
                ledger.record(transfer_id, ok=True)


def bank_on(member: Any) -> tuple[dict[int, int], dict[str, dict[str, Any]]]:
    with member.client() as direct:
        bank = direct.get_database("bank", read_preference=ReadPreference.SECONDARY_PREFERRED)
        balances = {account["_id"]: account["balance"] for account in bank.accounts.find()}
        transfers = {transfer["_id"]: transfer for transfer in bank.transfers.find()}
    return balances, transfers


def test_concurrent_transfers_conserve_money_through_pauses(replica_set: ReplicaSet) -> None:
    seed = int(os.environ.get("MONGOEMU_JEPSEN_SEED", random.randrange(2**32)))
    print(f"\njepsen transaction seed: {seed} (rerun with MONGOEMU_JEPSEN_SEED={seed})")
    with replica_set.client() as client:
        accounts = client.bank.get_collection("accounts", write_concern=WriteConcern(w="majority"))
        accounts.insert_many([{"_id": account, "balance": OPENING_BALANCE} for account in range(ACCOUNTS)])
        client.bank.create_collection("transfers", write_concern=WriteConcern(w="majority"))
    ledger = Ledger()
    stop = threading.Event()
    writers = [threading.Thread(target=transfer_until, args=(replica_set, index, seed, stop, ledger)) for index in range(WRITERS)]
    started = time.monotonic()
    # withTransaction retries for up to 120 s: give each writer that long to finish its transfer.
    schedule = run_under_nemesis(replica_set, writers, stop, lambda: len(ledger.acknowledged), seed, ROUNDS, join_seconds=150)
    print("\n".join(schedule))
    elections = sum(member.log().count('"event": "elected"') for member in replica_set.members)
    print(f"acknowledged {len(ledger.acknowledged)} transfers, indeterminate {len(ledger.indeterminate)}, {elections} elections, in {time.monotonic() - started:.0f} s")
    assert not any(writer.is_alive() for writer in writers), f"a writer is still transferring (seed {seed})"

    primary = converged_primary(replica_set)
    balances, transfers = bank_on(primary)
    assert sum(balances.values()) == ACCOUNTS * OPENING_BALANCE, f"money created or destroyed (seed {seed}): {balances}"
    explained = {account: OPENING_BALANCE for account in range(ACCOUNTS)}
    for transfer in transfers.values():
        explained[transfer["from"]] -= transfer["amount"]
        explained[transfer["to"]] += transfer["amount"]
    assert balances == explained, f"balances the ledger does not explain: a transfer applied twice or in part (seed {seed})"
    lost = sorted(ledger.acknowledged - set(transfers))
    assert not lost, f"acknowledged transfers lost (seed {seed}): {lost[:20]}"
    unknown = sorted(set(transfers) - ledger.acknowledged - ledger.indeterminate)
    assert not unknown, f"transfers nobody made (seed {seed}): {unknown[:20]}"
    for member in replica_set.members:
        assert bank_on(member) == (balances, transfers), f"{member.host} differs from the primary (seed {seed})"
