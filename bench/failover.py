"""Failover time across the fabric: cut the primary's provider, time the first
successful w:"majority" write through pymongo (from a client in another
provider), heal, repeat. Default replica-set settings (heartbeat 2 s, election
timeout 10 s), so the figure compares with MongoDB's documented ~12 s.

Prints a line per trial and e.g. `median failover 11.4 s over 10 trials`, then
the emulator's inserts/s from four clients with w:1 and w:"majority"
(bench/emulator_throughput.py's measurement, on loopback).

    .venv/bin/python bench/failover.py [--trials 10] [--throughput-seconds 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.fabric import CutMode  # noqa: E402
from harness.runtime.engine import docker_client  # noqa: E402
from harness.runtime.setup import prepare  # noqa: E402
from harness.stack import Stack  # noqa: E402
from harness.topology_file import load_topology  # noqa: E402
from systems.mongodb.roles import member_states, mongo_uri, replica_set_primary  # noqa: E402
from emulator_throughput import print_throughput  # noqa: E402

TOPOLOGY = REPO / "fixtures/topologies/three_member_set.yaml"
TRIAL_LIMIT_S = 60


def settled(stack: Stack) -> bool:
    """One primary and every other member a secondary again."""
    return sorted(member_states(stack.topology, stack.address).values()) == ["PRIMARY", "SECONDARY", "SECONDARY"]


def writes_since(stack: Stack, out: str, since: float) -> list[dict]:
    code, text = stack.exec("client", ["cat", out])
    return [r for line in text.splitlines() if line.strip() and (r := json.loads(line))["t"] > since] \
        if code == 0 else []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--throughput-seconds", type=float, default=10.0, help="measuring time per write concern")
    args = parser.parse_args()
    images = prepare(None)
    timings: list[float] = []
    with Stack(load_topology(TOPOLOGY), images, client=docker_client()) as stack:
        uri = mongo_uri(stack.topology)
        for trial in range(1, args.trials + 1):
            while not settled(stack):
                time.sleep(0.5)
            old = replica_set_primary(stack)
            assert old is not None
            out = f"/tmp/trial-{trial}.jsonl"
            stack.exec("client", ["sh", "-c", f"python -m fixtures.majority_writer '{uri}' "
                                  f"--seconds {TRIAL_LIMIT_S} --out {out} >/dev/null 2>&1 &"])
            time.sleep(2)
            provider = stack.topology.node(old).provider
            cut_at = time.time()
            links = stack.fabric.links_of_provider(provider)
            stack.fabric.cut(links, CutMode.BLACKHOLE)
            recovered = None
            while recovered is None and time.time() - cut_at < TRIAL_LIMIT_S:
                time.sleep(0.5)
                later = writes_since(stack, out, cut_at + 0.001)
                failed = [w for w in later if not w["ok"]]
                if failed:
                    recovered = next((w["t"] for w in later if w["ok"] and w["t"] > failed[0]["t"]), None)
            stack.fabric.restore(links)
            stack.exec("client", ["pkill", "-f", "fixtures[.]majority_writer"])
            if recovered is None:
                print(f"trial {trial}: cut {old} ({provider}): no successful majority write within "
                      f"{TRIAL_LIMIT_S} s", flush=True)
                continue
            timings.append(recovered - cut_at)
            print(f"trial {trial}: cut {old} ({provider}): first majority write after "
                  f"{timings[-1]:.1f} s, new primary {replica_set_primary(stack)}", flush=True)
    print(f"database: {stack.notes.get('database tier', 'unknown')}")
    if timings:
        print(f"median failover {statistics.median(timings):.1f} s over {len(timings)} trials "
              f"(min {min(timings):.1f} s, max {max(timings):.1f} s); MongoDB documents about 12 s")
    print("inserts/s from four clients, emulator members on loopback:", flush=True)
    print_throughput(args.throughput_seconds, clients=4)


if __name__ == "__main__":
    main()
