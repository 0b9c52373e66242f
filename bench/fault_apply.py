"""How long a provider outage of 30 links takes to apply and to heal, per cut mode.

Prints the median of N trials per mode, e.g. `blackhole: apply median 41.2 ms`.
Target: under 50 ms for 30 links. Each blackholed link takes two toxics (both
directions), so it costs twice the calls of a refused one.

    .venv/bin/python bench/fault_apply.py [--trials 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.fabric import CutMode  # noqa: E402
from harness.runtime.engine import docker_client  # noqa: E402
from harness.runtime.setup import prepare  # noqa: E402
from harness.stack import Stack  # noqa: E402
from harness.topology_file import load_topology  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()
    topology = load_topology(REPO / "fixtures/topologies/thirty_links.yaml")
    with Stack(topology, prepare(None), client=docker_client()) as stack:
        links = stack.fabric.links_of_provider("p1")
        for mode in CutMode:
            applied, healed = [], []
            for _ in range(args.trials):
                applied.append(stack.fabric.cut(links, mode))
                healed.append(stack.fabric.restore(links))
            print(f"{mode.value}: {len(links)} links, apply median {statistics.median(applied):.1f} ms "
                  f"(max {max(applied):.1f}), heal median {statistics.median(healed):.1f} ms")


if __name__ == "__main__":
    main()
