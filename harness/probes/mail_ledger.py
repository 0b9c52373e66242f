"""Which accepted probe messages reached the database, and how many copies.

Reads the primary directly from the host (out of band, like an operator's
console), never through the fabric: the observer must not share the fault.
"""

from __future__ import annotations

import time

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from harness.history import History
from harness.probes.base import PeriodicProbe

TIMEOUT_MS = 2000
DATABASE, COLLECTION = "mailstack", "messages"


class MailLedgerProbe(PeriodicProbe):
    def __init__(self, history: History, every_s: float, members: dict[str, tuple[str, int]]) -> None:
        super().__init__("mail-ledger", history, every_s)
        self._clients = [
            MongoClient(address, port, directConnection=True, serverSelectionTimeoutMS=TIMEOUT_MS,
                        connectTimeoutMS=TIMEOUT_MS, socketTimeoutMS=TIMEOUT_MS)
            for address, port in members.values()
        ]
        self._seen: set[str] = set()

    def observe(self) -> None:
        waiting = [e.data["message_id"] for e in self.history.events("smtp.send")
                   if e.data.get("accepted") and e.data["message_id"] not in self._seen]
        if not waiting:
            return
        copies = self._copies(waiting)
        if copies is None:
            return
        for message_id, count in copies.items():
            if count:
                self._seen.add(message_id)
                self.history.record("mail.stored", "db", count == 1, source=self.name,
                                    message_id=message_id, copies=count, final=False)

    def reconcile(self, wait_s: float = 30) -> int | None:
        """The final count for every accepted message; returns how many are missing,
        or None when no primary answers within ``wait_s`` (nothing can be counted)."""
        accepted = [e.data["message_id"] for e in self.history.events("smtp.send")
                    if e.data.get("accepted")]
        deadline = time.monotonic() + wait_s
        while (copies := self._copies(accepted)) is None and time.monotonic() < deadline:
            time.sleep(1)
        if copies is None:
            return None
        for message_id in accepted:
            self.history.record("mail.stored", "db", copies[message_id] == 1, source=self.name,
                                message_id=message_id, copies=copies[message_id], final=True)
        return sum(1 for m in accepted if copies[m] == 0)

    def _copies(self, message_ids: list[str]) -> dict[str, int] | None:
        client = self._primary()
        if client is None:
            return None
        counts = dict.fromkeys(message_ids, 0)
        try:
            cursor = client[DATABASE][COLLECTION].find(
                {"message_id": {"$in": message_ids}}, {"message_id": 1, "_id": 0})
            for document in cursor:
                counts[document["message_id"]] = counts.get(document["message_id"], 0) + 1
        except PyMongoError:
            return None
        return counts

    def _primary(self) -> MongoClient | None:
        for client in self._clients:
            try:
                if client.admin.command("hello").get("isWritablePrimary"):
                    return client
            except PyMongoError:
                continue
        return None

    def close(self) -> None:
        for client in self._clients:
            client.close()
