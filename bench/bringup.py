"""Time from `outage up` to every node ready, with images cached.

Prints one line per trial and the median, e.g. `median bring-up 12.1 s for 13
nodes and 1 Toxiproxy shard(s) across 4 providers`. Target: under 20 s on a
2-core machine. FILE is a topology file or a scenario file (its topology,
compose form included).

    .venv/bin/python bench/bringup.py [--topology FILE] [--trials N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.runtime.engine import docker_client  # noqa: E402
from harness.runtime.setup import prepare  # noqa: E402
from harness.stack import Stack  # noqa: E402
from harness.topology_file import load_topology  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--topology", type=Path, default=REPO / "fixtures/topologies/mail_stack.yaml")
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    topology = load_topology(args.topology)
    images = prepare(None)  # builds what is missing, outside the timed part
    client = docker_client()
    containers = len(topology.nodes)
    timings = []
    for trial in range(1, args.trials + 1):
        started = time.perf_counter()
        stack = Stack(topology, images, client=client, base_dir=args.topology.parent,
                      say=lambda m: print(f"  {time.perf_counter() - started:5.1f} s  {m}", flush=True))
        try:
            stack.start()
            elapsed = time.perf_counter() - started
        finally:
            stack.stop()
        timings.append(elapsed)
        shards = len(stack.toxiproxy_urls)
        print(f"trial {trial}: every node ready after {elapsed:.1f} s", flush=True)
    print(f"median bring-up {statistics.median(timings):.1f} s for {containers} nodes and {shards} Toxiproxy "
          f"shard(s) across {len(topology.providers)} providers (profile {images.profile.value})")


if __name__ == "__main__":
    main()
