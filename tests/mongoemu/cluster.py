"""Emulator members as subprocesses on 127.0.0.1, and a replica set built from them.

Every wait polls with a deadline; nothing sleeps and hopes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

import polling
import pymongo
from pymongo.errors import PyMongoError

from harness.runtime.ports import FRESH_PORT_ATTEMPTS, PortTaken, listening_ports, lost_a_bind, unused_port

REPO = Path(__file__).resolve().parents[2]
TEST_SETTINGS = {"heartbeatIntervalMillis": 200, "electionTimeoutMillis": 1000}
T = TypeVar("T")


def wait_until(condition: Callable[[], T], timeout: float, what: str) -> T:
    """polling.wait_until, where a driver error (a member mid-election or restarting) means "not yet"."""
    return polling.wait_until(condition, timeout, what, tolerate=(PyMongoError,))


@dataclass
class Member:
    port: int
    log_path: Path
    process: subprocess.Popen[bytes]
    arguments: tuple[str, ...] = ()
    # Picked by spawn_member, so another can be picked if a process took it first.
    port_picked_here: bool = False
    paused: bool = False

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client(self, **options: Any) -> pymongo.MongoClient[dict[str, Any]]:
        options.setdefault("serverSelectionTimeoutMS", 3000)
        options.setdefault("socketTimeoutMS", 5000)
        options.setdefault("connectTimeoutMS", 2000)
        return pymongo.MongoClient(f"mongodb://{self.host}/?directConnection=true", **options)

    def command(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        with self.client() as client:
            return client.admin.command(*args, **kwargs)

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)
        self.paused = False

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
        self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


def start_member(log_dir: Path, *arguments: str, port: int | None = None) -> Member:
    member = spawn_member(log_dir, *arguments, port=port)
    wait_started(member)
    return member


def spawn_member(log_dir: Path, *arguments: str, port: int | None = None) -> Member:
    """Start the process without waiting for it (start several, then wait_started each)."""
    picked_here = port is None
    port = port or unused_port()
    log_path = log_dir / f"member-{port}.log"
    return Member(port, log_path, _launch(port, log_path, arguments), arguments, picked_here)


def _launch(port: int, log_path: Path, arguments: tuple[str, ...]) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log_file:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "fixtures.mongoemu", "--me", f"127.0.0.1:{port}", "--port", str(port), *arguments],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def wait_started(member: Member) -> Member:
    """Wait until the member's own process listens on its port. When another process took the
    port before the member could bind it, and spawn_member picked it, start again on a fresh one."""
    for _ in range(FRESH_PORT_ATTEMPTS - 1):
        if not member.port_picked_here:
            break
        try:
            return _wait_listening(member)
        except PortTaken:
            member.port = unused_port()
            member.log_path = member.log_path.with_name(f"member-{member.port}.log")
            member.process = _launch(member.port, member.log_path, member.arguments)
    try:
        return _wait_listening(member)
    except PortTaken:
        raise AssertionError(f"member {member.host} lost its port to another process:\n{member.log()}") from None


def _wait_listening(member: Member) -> Member:
    try:
        wait_until(lambda: _listening(member), 15, f"member {member.host} to listen")
    except AssertionError:
        member.kill()
        raise AssertionError(f"member {member.host} did not start:\n{member.log()}") from None
    return member


def _listening(member: Member) -> bool:
    if member.process.poll() is not None:
        if lost_a_bind(member.log()):
            raise PortTaken(member.host)
        raise AssertionError(f"member {member.host} exited with {member.process.returncode}:\n{member.log()}")
    return member.port in listening_ports(member.process.pid)


@dataclass
class ReplicaSet:
    name: str
    members: list[Member]
    arbiters: list[Member] = field(default_factory=list)

    @property
    def everyone(self) -> list[Member]:
        return self.members + self.arbiters

    @property
    def uri(self) -> str:
        return f"mongodb://{','.join(member.host for member in self.members)}/?replicaSet={self.name}"

    def client(self, **options: Any) -> pymongo.MongoClient[dict[str, Any]]:
        options.setdefault("serverSelectionTimeoutMS", 15000)
        options.setdefault("heartbeatFrequencyMS", 500)
        options.setdefault("socketTimeoutMS", 10000)
        return pymongo.MongoClient(self.uri, **options)

    def initiate(self, settings: dict[str, Any] | None = None, priorities: dict[int, float] | None = None) -> None:
        members = [
            {"_id": index, "host": member.host, "priority": (priorities or {}).get(index, 1)}
            for index, member in enumerate(self.members)
        ]
        members += [
            {"_id": len(self.members) + index, "host": arbiter.host, "arbiterOnly": True}
            for index, arbiter in enumerate(self.arbiters)
        ]
        config = {"_id": self.name, "members": members, "settings": settings or TEST_SETTINGS}
        self.members[0].command("replSetInitiate", config)

    def state_of(self, member: Member) -> str | None:
        try:
            with member.client(serverSelectionTimeoutMS=1000, socketTimeoutMS=1000) as client:
                status = client.admin.command("replSetGetStatus")
        except PyMongoError:
            return None
        return next(entry["stateStr"] for entry in status["members"] if entry.get("self"))

    def primary(self, among: list[Member] | None = None) -> Member | None:
        """The member (of `among`, default all running) that says it is primary, if exactly one does."""
        candidates = [member for member in (among or self.members) if not member.paused]
        primaries = [member for member in candidates if self.state_of(member) == "PRIMARY"]
        return primaries[0] if len(primaries) == 1 else None

    def wait_for_primary(self, among: list[Member] | None = None, timeout: float = 20) -> Member:
        return wait_until(lambda: self.primary(among), timeout, "a single primary")

    def stop(self) -> None:
        for member in self.everyone:
            member.kill()
