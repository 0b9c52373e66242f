"""Emulator members on loopback, initiated as one replica set: the database the benchmarks share.

    with local_replica_set() as replica_set:
        client = pymongo.MongoClient(replica_set.uri)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import pymongo

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SET_NAME = "bench"
# Elections settle in seconds rather than MongoDB's default 10 s; nothing fails over in a benchmark.
FAST_ELECTIONS = {"heartbeatIntervalMillis": 500, "electionTimeoutMillis": 2000}


@dataclass(frozen=True)
class LocalReplicaSet:
    uri: str
    member_pids: list[int]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_member(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fixtures.mongoemu", "--me", f"127.0.0.1:{port}", "--port", str(port), "--replset", SET_NAME],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_listening(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"bench: the emulator member on port {port} did not start within 15 s")


@contextmanager
def local_replica_set(members: int = 3, arbiters: int = 0) -> Iterator[LocalReplicaSet]:
    """Starts the members (the last ``arbiters`` of them arbiters), initiates the set and
    yields once it has a primary; kills them on exit."""
    ports = [free_port() for _ in range(members)]
    hosts = [f"127.0.0.1:{port}" for port in ports]
    configs = [
        {"_id": index, "host": host, **({"arbiterOnly": True} if index >= members - arbiters else {})}
        for index, host in enumerate(hosts)
    ]
    with ExitStack() as cleanup:
        pids = []
        for port in ports:
            process = _start_member(port)
            pids.append(process.pid)
            cleanup.callback(process.wait)
            cleanup.callback(process.kill)
        deadline = time.monotonic() + 15
        for port in ports:
            _wait_listening(port, deadline)
        with pymongo.MongoClient(f"mongodb://{hosts[0]}/?directConnection=true") as seed:
            seed.admin.command(
                "replSetInitiate",
                {
                    "_id": SET_NAME,
                    "members": configs,
                    "settings": FAST_ELECTIONS,
                },
            )
        uri = f"mongodb://{','.join(hosts[: members - arbiters])}/?replicaSet={SET_NAME}"
        with pymongo.MongoClient(uri, serverSelectionTimeoutMS=20000) as client:
            client.admin.command("ping")  # server selection waits for the primary
        yield LocalReplicaSet(uri, pids)
