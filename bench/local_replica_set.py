"""Emulator members on loopback, initiated as one replica set: the database the benchmarks share.

    with local_replica_set() as replica_set:
        client = pymongo.MongoClient(replica_set.uri)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pymongo

from harness.runtime.ports import start_listening

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SET_NAME = "bench"
# Elections settle in seconds rather than MongoDB's default 10 s; nothing fails over in a benchmark.
FAST_ELECTIONS = {"heartbeatIntervalMillis": 500, "electionTimeoutMillis": 2000}


@dataclass(frozen=True)
class LocalReplicaSet:
    uri: str
    member_pids: list[int]


def _start_member(log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A member on a fresh loopback port, once it listens there."""

    def launch(ports: list[int]) -> subprocess.Popen[bytes]:
        port = str(ports[0])
        with log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "fixtures.mongoemu", "--me", f"127.0.0.1:{port}", "--port", port,
                 "--replset", SET_NAME],
                cwd=REPO, stdout=subprocess.DEVNULL, stderr=out,
            )

    process, (port,) = start_listening(launch, log, 1, timeout_s=15)
    return process, port


@contextmanager
def local_replica_set(members: int = 3, arbiters: int = 0) -> Iterator[LocalReplicaSet]:
    """Starts the members (the last ``arbiters`` of them arbiters), initiates the set and
    yields once it has a primary; kills them on exit."""
    with ExitStack() as cleanup:
        logs = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="bench-members-")))
        pids, ports = [], []
        for index in range(members):
            process, port = _start_member(logs / f"member-{index}.log")
            pids.append(process.pid)
            ports.append(port)
            cleanup.callback(process.wait)
            cleanup.callback(process.kill)
        hosts = [f"127.0.0.1:{port}" for port in ports]
        configs = [
            {"_id": index, "host": host, **({"arbiterOnly": True} if index >= members - arbiters else {})}
            for index, host in enumerate(hosts)
        ]
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
