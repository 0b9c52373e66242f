"""The replica set on the fabric: pymongo in another provider, connected with replicaSet=,
cut off by Toxiproxy the way incident B was (not by pausing processes).

Each stack uses fast replica-set timings (heartbeat 250 ms, election timeout 1.5 s)
so an election takes seconds; the timings are the scenario's to choose.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import polling
import pytest
from pymongo import MongoClient, ReadPreference

from harness.fabric import CutMode
from harness.runtime.images import ImageSet
from harness.stack import Stack
from harness.topology_file import load_topology
from systems.mongodb.roles import member_states, members, mongo_uri, replica_set_primary

TOPOLOGIES = Path(__file__).parents[2] / "fixtures" / "topologies"
FAST = {"heartbeat_ms": "250", "election_timeout_ms": "1500"}
ROUNDS = int(os.environ.get("FABRIC_JEPSEN_ROUNDS", "20"))
WRITERS = 3


def states(stack: Stack) -> dict[str, str]:
    """Every member's state, asked of it directly from the host."""
    return member_states(stack.topology, stack.address)


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    # Each check runs commands in containers: poll gently.
    polling.wait_until(check, timeout_s, what, interval=0.2)


def client_writes(stack: Stack, seconds: float, out: str, collection: str, prefix: str = "w",
                  background: bool = False) -> list[dict]:
    """Majority writes from the client node, through the fabric; each write's outcome."""
    command = (f"python -m fixtures.majority_writer '{mongo_uri(stack.topology)}' --seconds {seconds} "
               f"--out {out} --prefix {prefix} --collection {collection}")
    if background:
        stack.exec("client", ["sh", "-c", f"{command} >/dev/null 2>&1 &"])
        return []
    code, text = stack.exec("client", ["sh", "-c", command], timeout_s=seconds + 20)
    assert code == 0, text
    return written(stack, out)


def written(stack: Stack, out: str) -> list[dict]:
    code, text = stack.exec("client", ["cat", out])
    assert code == 0, text
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def documents_on(stack: Stack, member: str, collection: str) -> dict[str, dict]:
    with MongoClient(stack.address(member), stack.topology.node(member).port, directConnection=True,
                     read_preference=ReadPreference.SECONDARY_PREFERRED) as direct:
        database, _, name = collection.partition(".")
        return {document["_id"]: document for document in direct[database][name].find()}


@pytest.fixture(scope="module")
def spread_set(docker_engine: docker.DockerClient, images: ImageSet) -> Iterator[Stack]:
    """Members in three providers (as fixed), the client in a fourth."""
    with Stack(load_topology(TOPOLOGIES / "three_member_set.yaml"), images, client=docker_engine,
               settings=FAST) as stack:
        yield stack


@pytest.fixture(scope="module")
def one_provider_set(docker_engine: docker.DockerClient, images: ImageSet) -> Iterator[Stack]:
    """Every member in one provider (as it was in 2018), the client elsewhere."""
    with Stack(load_topology(TOPOLOGIES / "one_provider_set.yaml"), images, client=docker_engine,
               settings=FAST) as stack:
        yield stack


def test_isolating_the_primarys_provider_elects_another_and_the_old_one_steps_down(spread_set: Stack) -> None:
    old = replica_set_primary(spread_set)
    assert old is not None
    links = spread_set.fabric.links_of_provider(spread_set.topology.node(old).provider)
    spread_set.fabric.cut(links, CutMode.BLACKHOLE)
    try:
        wait_until(lambda: replica_set_primary(spread_set) not in (None, old), 30, "a primary outside the cut provider")
        wait_until(lambda: states(spread_set)[old] == "SECONDARY", 30, "the old primary to step down")
        during = client_writes(spread_set, 2, "/tmp/isolated.jsonl", "fabric.isolation")
        assert any(write["ok"] for write in during), "no majority write from the client went through"
    finally:
        spread_set.fabric.restore(links)
    wait_until(lambda: sorted(states(spread_set).values()) == ["PRIMARY", "SECONDARY", "SECONDARY"],
               30, "the old primary to rejoin as a secondary")


def test_cutting_the_one_database_provider_leaves_clients_without_a_primary_until_healed(
    one_provider_set: Stack,
) -> None:
    links = one_provider_set.fabric.links_of_provider("dbhost")
    one_provider_set.fabric.cut(links, CutMode.BLACKHOLE)
    try:
        during = client_writes(one_provider_set, 3, "/tmp/cut.jsonl", "fabric.cut", prefix="cut")
        assert during and not any(write["ok"] for write in during), "a write got through a total cut"
        # Inside dbhost the set is whole: it keeps its primary, only nobody outside can reach it.
        assert replica_set_primary(one_provider_set) is not None
    finally:
        one_provider_set.fabric.restore(links)
    after = client_writes(one_provider_set, 3, "/tmp/healed.jsonl", "fabric.cut", prefix="healed")
    assert any(write["ok"] for write in after), "writes did not resume after the heal, without any restart"


def _nemesis(stack: Stack, rng: random.Random, rounds: int) -> list[str]:
    """Random provider isolations (refused or blackholed) and one-way partitions, each then healed."""
    member_providers = sorted({node.provider for node in members(stack.topology)})
    schedule = []
    for number in range(rounds):
        if rng.random() < 0.6:
            provider = rng.choice(member_providers)
            mode = rng.choice([CutMode.BLACKHOLE, CutMode.REFUSE])
            links, what = stack.fabric.links_of_provider(provider), f"isolate {provider} ({mode})"
        else:
            a, b = rng.sample(member_providers, 2)
            mode = CutMode.BLACKHOLE
            links, what = stack.fabric.links_between(a, b, one_way=True), f"one-way {a} -> {b}"
        hold = rng.uniform(0.5, 3.0)
        schedule.append(f"round {number}: {what} for {hold:.1f} s")
        stack.fabric.cut(links, mode)
        time.sleep(hold)
        stack.fabric.restore(links)
        time.sleep(rng.uniform(0.3, 1.5))
    return schedule


def test_random_partitions_lose_no_majority_acknowledged_write(spread_set: Stack) -> None:
    seed = int(os.environ.get("FABRIC_JEPSEN_SEED", random.randrange(2**32)))
    print(f"\nfabric jepsen seed: {seed} (rerun with FABRIC_JEPSEN_SEED={seed})")
    outs = [f"/tmp/jepsen-{seed}-{writer}.jsonl" for writer in range(WRITERS)]
    for writer, out in enumerate(outs):
        client_writes(spread_set, 600, out, "jepsen.ops", prefix=f"j{writer}", background=True)
    try:
        schedule = _nemesis(spread_set, random.Random(seed), ROUNDS)
    finally:
        spread_set.exec("client", ["pkill", "-TERM", "-f", "fixtures[.]majority_writer"])
        wait_until(lambda: spread_set.exec("client", ["pgrep", "-f", "fixtures[.]majority_writer"])[0] == 1, 30,
                   "the writers to log their last write and exit")
    print("\n".join(schedule))
    history = [write for out in outs for write in written(spread_set, out)]
    acknowledged = {write["id"] for write in history if write["ok"]}
    attempted = {write["id"] for write in history}
    assert len(acknowledged) > ROUNDS, f"too few acknowledged writes to judge anything: {len(acknowledged)}"

    def converged() -> bool:
        now = states(spread_set)
        if sorted(now.values()) != ["PRIMARY", "SECONDARY", "SECONDARY"]:
            return False
        documents = [documents_on(spread_set, member, "jepsen.ops") for member in now]
        return all(other == documents[0] for other in documents[1:])

    wait_until(converged, 60, f"every member to hold the same documents (seed {seed})")
    primary = replica_set_primary(spread_set)
    assert primary is not None
    stored = documents_on(spread_set, primary, "jepsen.ops")
    lost = sorted(acknowledged - set(stored))
    assert not lost, f"acknowledged writes lost (seed {seed}): {lost[:20]}"
    applied_twice = sorted(uid for uid, document in stored.items() if document.get("applied", 1) != 1)
    assert not applied_twice, f"writes applied more than once (seed {seed}): {applied_twice[:20]}"
    unknown = sorted(set(stored) - attempted)
    assert not unknown, f"documents nobody wrote (seed {seed}): {unknown[:20]}"
