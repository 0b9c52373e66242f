"""The conformance run: specification folders against a one-member and a three-member emulated set.

The pass rate counts every test that mongod 7.0 on a replica set would run:
passed / (all - skipped by their own runOnRequirements). Failed and unjudged
tests both count against it, and each must be listed in known_failures.py.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pymongo

from ..cluster import ReplicaSet, spawn_member, wait_started
from . import source
from .known_failures import KNOWN_FAILURES
from .runner import Result, Verdict, run_file

TOPOLOGIES = {"one-member": 1, "three-member": 3}
TARGET_PASS_RATE = 0.95


@contextmanager
def emulated_set(members: int, log_dir: Path) -> Iterator[str]:
    """A replica set of emulator processes on loopback, initiated and with a primary; its URI."""
    started = [spawn_member(log_dir, "--replset", "spec") for _ in range(members)]
    try:
        for member in started:
            wait_started(member)
        replica_set = ReplicaSet("spec", started)
        replica_set.initiate()
        replica_set.wait_for_primary()
        yield replica_set.uri
    finally:
        for member in started:
            member.kill()


def run_folder(folder: str, uri: str) -> list[Result]:
    results: list[Result] = []
    with pymongo.MongoClient(uri, uuidRepresentation="standard") as internal:
        for path in source.spec_files(folder):
            results.extend(run_file(path, uri, internal, folder))
    return results


@dataclass(frozen=True)
class Tally:
    passed: int
    failed: int
    unjudged: int
    skipped: int

    @classmethod
    def of(cls, results: list[Result]) -> "Tally":
        count = lambda verdict: sum(1 for result in results if result.verdict == verdict)  # noqa: E731
        return cls(count(Verdict.PASSED), count(Verdict.FAILED), count(Verdict.UNJUDGED), count(Verdict.SKIPPED))

    @property
    def counted(self) -> int:
        return self.passed + self.failed + self.unjudged

    @property
    def rate(self) -> float:
        return self.passed / self.counted if self.counted else 1.0

    def line(self, label: str) -> str:
        return (
            f"{label} {self.passed}/{self.counted} ({self.rate:.1%}); "
            f"{self.failed} failed, {self.unjudged} unjudged by our runner, {self.skipped} skipped as on mongod 7.0"
        )


def known_reason(result: Result) -> str | None:
    for pattern, reason in KNOWN_FAILURES.items():
        if fnmatch.fnmatchcase(result.key, pattern):
            return reason
    return None


def unexpected(results: list[Result]) -> list[Result]:
    """Failed or unjudged tests that known_failures.py does not list."""
    return [result for result in results if result.verdict in (Verdict.FAILED, Verdict.UNJUDGED) and known_reason(result) is None]
