"""The conformance run: specification folders against a one-member and a three-member emulated set.

The pass rate counts every test that mongod 7.0 on a replica set would run:
passed / (all - skipped by their own runOnRequirements). Failed and unjudged
tests both count against it, and each must be listed in known_failures.py.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pymongo

from ..cluster import ReplicaSet, spawn_member, wait_started
from . import source
from .known_failures import FLAKY, KNOWN_FAILURES
from .runner import Result, Verdict, run_file

TOPOLOGIES = {"one-member": 1, "three-member": 3}
TARGET_PASS_RATE = 0.95
# SDAM's unified tests lean on driver logging and JavaScript ($where): the emulator passes fewer.
FOLDER_FLOORS = {"SDAM": 0.60}


@contextmanager
def emulated_set(members: int, log_dir: Path) -> Iterator[str]:
    """A replica set of emulator processes on loopback, initiated and with a primary; its URI."""
    log_dir.mkdir(parents=True, exist_ok=True)
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


# Much of a folder's run is waiting on timeouts and retries: four sets at a time run every
# folder in about 65 s, where one set per topology took 100 to 136 s.
SETS_AT_ONCE = 4


def run_everywhere(folders: list[str], log_dir: Path) -> dict[tuple[str, str], list[Result]]:
    """Every folder against each topology, each (topology, folder) on a set of its own: fail
    points are server-wide, so two folders never share a set. Keys are (topology, folder)."""
    source.spec_root()  # download once, before the threads

    def run_on_own_set(topology: str, folder: str) -> list[Result]:
        with emulated_set(TOPOLOGIES[topology], log_dir / f"{topology}-{folder}") as uri:
            return run_folder(folder, uri)

    with ThreadPoolExecutor(max_workers=SETS_AT_ONCE) as pool:
        running = {(topology, folder): pool.submit(run_on_own_set, topology, folder)
                   for folder in folders for topology in TOPOLOGIES}
        return {key: finished.result() for key, finished in running.items()}


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


def _listed(pattern: str, topology: str) -> str | None:
    """The key part of a known_failures.py pattern that applies to `topology`, or None."""
    scope, _, key = pattern.partition(":") if pattern.split(":", 1)[0] in TOPOLOGIES else ("", "", pattern)
    return key if not scope or scope == topology else None


def known_reason(result: Result, topology: str) -> str | None:
    for pattern, reason in KNOWN_FAILURES.items():
        key = _listed(pattern, topology)
        if key is not None and fnmatch.fnmatchcase(result.key, key):
            return reason
    return None


def unexpected(results: list[Result], topology: str) -> list[Result]:
    """Failed or unjudged tests that known_failures.py does not list."""
    return [result for result in results if not result.passed_or_skipped and known_reason(result, topology) is None]


def stale(results: list[Result], topology: str) -> list[str]:
    """Patterns of known_failures.py that now match only passing tests of these results."""
    patterns = []
    for pattern, reason in KNOWN_FAILURES.items():
        if reason.startswith(FLAKY):
            continue
        key = _listed(pattern, topology)
        matched = [result for result in results if key is not None and fnmatch.fnmatchcase(result.key, key)]
        if matched and all(result.verdict == Verdict.PASSED for result in matched):
            patterns.append(pattern)
    return patterns
