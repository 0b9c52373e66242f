"""The mongo probe: who is primary of the stack's replica set, asked of every member directly
from the host (never cut), with each member's state and the term."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from harness.events import EventKind
from harness.extensions import PROBES
from harness.history import History
from harness.probes import PeriodicProbe, ProbeContext, ProbeSpec
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope
from systems.mongodb.roles import members, state_from_hello

HELLO_TIMEOUT_MS = 800
RS_STATUS = EventKind("rs.status", "'db'",
                      "primary (member name or None), term (int or None), members ({name: state})")


@PROBES.register
class MongoProbeSpec(ProbeSpec):
    """Ask every replica-set member (nodes of roles mongo and arbiter) for its state."""

    kind: Literal["mongo"]
    observes: ClassVar[EventKind] = RS_STATUS

    def problems(self, scope: Scope) -> Iterator[Problem]:
        if not members(scope.topology):
            yield Problem(("kind",), "the topology has no replica-set member to ask", "add nodes with role mongo")

    def start(self, ctx: ProbeContext) -> list[PeriodicProbe]:
        addresses = {n.name: (ctx.stack.access(n.name).address, n.port or 0) for n in members(ctx.stack.topology)}
        return [ReplicaSetProbe(self.id, ctx.history, self.every, addresses)]


class ReplicaSetProbe(PeriodicProbe):
    def __init__(self, source: str, history: History, every_s: float, addresses: dict[str, tuple[str, int]]) -> None:
        super().__init__(source, history, every_s)
        self._clients = {
            name: MongoClient(address, port, directConnection=True,
                              serverSelectionTimeoutMS=HELLO_TIMEOUT_MS,
                              connectTimeoutMS=HELLO_TIMEOUT_MS, socketTimeoutMS=HELLO_TIMEOUT_MS)
            for name, (address, port) in addresses.items()
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
        self.history.record(RS_STATUS, "db", primary is not None, source=self.source,
                            primary=primary, term=term, members=states)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def _term_of(election_id: object) -> int | None:
    """MongoDB's electionId is an ObjectId whose last 8 bytes hold the term."""
    binary = getattr(election_id, "binary", None)
    return int.from_bytes(binary[4:], "big") if binary else None
