"""Who is primary, asked of every member directly from the host (never cut)."""

from __future__ import annotations

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from harness.history import History
from harness.probes.base import PeriodicProbe
from harness.stack.database import state_from_hello

HELLO_TIMEOUT_MS = 800


class ReplicaSetProbe(PeriodicProbe):
    def __init__(self, history: History, every_s: float, members: dict[str, tuple[str, int]]) -> None:
        super().__init__("replica-set", history, every_s)
        self._clients = {
            name: MongoClient(address, port, directConnection=True,
                              serverSelectionTimeoutMS=HELLO_TIMEOUT_MS,
                              connectTimeoutMS=HELLO_TIMEOUT_MS, socketTimeoutMS=HELLO_TIMEOUT_MS)
            for name, (address, port) in members.items()
        }

    def observe(self) -> None:
        states: dict[str, str] = {}
        primary: str | None = None
        term: int | None = None
        for name, client in self._clients.items():
            try:
                hello = client.admin.command("hello")
            except PyMongoError:
                states[name] = "unreachable"
                continue
            states[name] = state_from_hello(hello)
            if states[name] == "PRIMARY":
                primary = name
                term = _term_of(hello.get("electionId"))
        self.history.record("rs.status", "db", primary is not None, source=self.name,
                            primary=primary, term=term, members=states)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def _term_of(election_id: object) -> int | None:
    """MongoDB's electionId is an ObjectId whose last 8 bytes hold the term."""
    binary = getattr(election_id, "binary", None)
    return int.from_bytes(binary[4:], "big") if binary else None
