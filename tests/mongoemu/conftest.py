"""Fixtures that start emulator members as subprocesses and always clean them up."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .cluster import Member, ReplicaSet, spawn_member, start_member, wait_started


@pytest.fixture
def member_factory(tmp_path: Path) -> Iterator[Callable[..., Member]]:
    """start(*arguments, wait=True): a member process; with wait=False call wait_started later."""
    started: list[Member] = []

    def start(*arguments: str, port: int | None = None, wait: bool = True) -> Member:
        member = spawn_member(tmp_path, *arguments, port=port)
        started.append(member)
        if wait:
            wait_started(member)
        return member

    yield start
    for member in started:
        member.kill()


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Member]:
    member = start_member(tmp_path_factory.mktemp("standalone"), "--standalone")
    yield member
    member.kill()


@pytest.fixture
def replica_set_factory(member_factory: Callable[..., Member], tmp_path: Path) -> Callable[..., ReplicaSet]:
    def build(data_members: int = 3, arbiters: int = 0, name: str = "rs0", data_dirs: bool = False) -> ReplicaSet:
        def durability(index: int) -> tuple[str, ...]:
            return ("--data-dir", str(tmp_path / f"data-{index}")) if data_dirs else ()

        members = [member_factory("--replset", name, *durability(index), wait=False) for index in range(data_members)]
        arbiter_members = [member_factory("--replset", name, "--arbiter", wait=False) for _ in range(arbiters)]
        for member in members + arbiter_members:
            wait_started(member)
        return ReplicaSet(name, members, arbiter_members)

    return build


@pytest.fixture
def replica_set(replica_set_factory: Callable[..., ReplicaSet]) -> ReplicaSet:
    """A three-member set, initiated with test timeouts, with a primary elected."""
    replica_set = replica_set_factory()
    replica_set.initiate()
    replica_set.wait_for_primary()
    return replica_set
