"""The Jepsen-style tests' shared harness: clients run while a nemesis SIGSTOPs and SIGCONTs
members on loopback; afterwards the set must converge before its data is judged."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from .cluster import Member, ReplicaSet, wait_until


def nemesis(replica_set: ReplicaSet, rng: random.Random, rounds: int) -> list[str]:
    """Pause a random subset of members for a random while, then resume them; returns the schedule."""
    schedule = []
    for round_number in range(rounds):
        victims = rng.sample(replica_set.members, rng.choice([1, 1, 1, 2, 3]))
        hold = rng.uniform(0.2, 1.6)
        for member in victims:
            member.pause()
        schedule.append(f"round {round_number}: pause {[member.port for member in victims]} for {hold:.2f}s")
        time.sleep(hold)
        for member in victims:
            member.resume()
        time.sleep(rng.uniform(0.2, 1.2))
    return schedule


def run_under_nemesis(
    replica_set: ReplicaSet, clients: list[threading.Thread], stop: threading.Event, acknowledged: Callable[[], int], seed: int, rounds: int, join_seconds: float
) -> list[str]:
    """Start the clients, run the nemesis, wait for progress after healing, then stop the clients
    (each gets `join_seconds` to finish what it is doing); returns the nemesis schedule."""
    for client in clients:
        client.start()
    try:
        schedule = nemesis(replica_set, random.Random(seed), rounds)
        healed_at = acknowledged()
        wait_until(lambda: acknowledged() > healed_at + 10, 60, "acknowledged operations after healing")
    finally:
        for member in replica_set.members:
            member.resume()
        stop.set()
        for client in clients:
            client.join(timeout=join_seconds)
    return schedule


def converged_primary(replica_set: ReplicaSet) -> Member:
    """The primary, once every member has reached its optime and is primary or secondary."""
    primary = replica_set.wait_for_primary(timeout=30)

    def converged() -> bool:
        status = primary.command("replSetGetStatus")
        optimes = {str(entry["optime"]) for entry in status["members"]}
        states = {entry["stateStr"] for entry in status["members"]}
        return len(optimes) == 1 and states == {"PRIMARY", "SECONDARY"}

    wait_until(converged, 60, "all members to reach the primary's optime")
    return primary
