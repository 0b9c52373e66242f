"""What exploring costs: a stack reset between schedules against a fresh bring-up, schedules
per hour, and the shrink steps on the planted weakness (tests/explore/data/weak_redis.yaml:
the Redis example with min-replicas-to-write forgotten in its fixed architecture).

Target: a reset within 3 s, against about 12 s for a bring-up of the mail stack.

    .venv/bin/python bench/explore.py [--scenario FILE] [--arch NAME] [--seed N] [--schedules K]
                                      [--budget MINUTES]

On the mail stack, for example: --scenario scenarios/database_router_failure.yaml
--schedules 4 --budget 10 (a failure found there is shrunk until the budget runs out).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.explore.explorer import Explorer  # noqa: E402
from harness.runtime.engine import docker_client  # noqa: E402
from harness.runtime.setup import prepare  # noqa: E402
from harness.scenario import load_scenario  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=REPO / "tests/explore/data/weak_redis.yaml")
    parser.add_argument("--arch", default="as-fixed")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--schedules", type=int, default=20)
    parser.add_argument("--budget", type=float, default=60, help="minutes for exploring and shrinking (default 60)")
    args = parser.parse_args()
    if args.budget <= 0:
        parser.error(f"--budget must be a positive number of minutes, not {args.budget:g}")
    scenario = load_scenario(args.scenario)
    images = prepare(None)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-explore-") as reports:
        explorer = Explorer(scenario, str(args.scenario), args.arch, images=images, client=docker_client(),
                            reports_dir=Path(reports), seed=args.seed, schedules=args.schedules,
                            budget_s=args.budget * 60, reruns=3, say=lambda line: print(f"  {line}", flush=True))
        result = explorer.explore()
    wall = time.monotonic() - started
    runs = len(result.tried)
    schedules = sum(t.role == "schedule" for t in result.tried)
    print(f"bring-up: {', '.join(f'{s:.1f} s' for s in result.bring_up_s)}")
    if result.resets_s:
        print(f"reset: median {statistics.median(result.resets_s):.2f} s, max {max(result.resets_s):.2f} s "
              f"over {len(result.resets_s)} resets")
    print(f"{runs} runs ({schedules} drawn schedules) in {wall / 60:.1f} min: {runs / wall * 3600:.0f} runs per hour")
    if result.found is not None:
        print(f"found by {result.found.name} (schedule {schedules}); "
              f"{len(result.shrink_steps)} shrink steps, {sum(s.runs for s in result.shrink_steps)} runs:")
        for number, step in enumerate(result.shrink_steps, 1):
            print(f"  {number:2}. {step.what}: {step.failures}/{step.runs} failed")
        print(f"minimal: {len(result.confirmed.entries) if result.confirmed else '?'} entries; {result.story}")
    else:
        print("no failure found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
