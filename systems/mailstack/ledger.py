"""The mail stack's ledger: which accepted probe messages reached its database, and how many copies.

Reads the primary directly from the host (out of band, like an operator's
console), never through the fabric: the observer must not share the fault.
"""

from __future__ import annotations

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from harness.history import History
from harness.probes.smtp import Ledger

TIMEOUT_MS = 2000
DATABASE, COLLECTION = "mailstack", "messages"


class DatabaseLedger(Ledger):
    def __init__(self, source: str, history: History, every_s: float, members: dict[str, tuple[str, int]]) -> None:
        super().__init__(source, history, every_s)
        self._clients = [
            MongoClient(address, port, directConnection=True, serverSelectionTimeoutMS=TIMEOUT_MS,
                        connectTimeoutMS=TIMEOUT_MS, socketTimeoutMS=TIMEOUT_MS)
            for address, port in members.values()
        ]

    def copies(self, message_ids: list[str]) -> dict[str, int] | None:
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
