"""Do verdicts flip without a code change? Every shipped run, R times, on the idle machine and
again with one core kept busy by a CPU hog this bench starts and stops itself.

For each scenario and architecture it prints, per invariant, how many of the R runs observed
it as its architecture expects, and the flip rate (the share of runs that did not); then the
totals per phase. Target: no flip in 5 repeats of every shipped run on the idle 2-core machine.

    .venv/bin/python bench/stability.py [--repeats 5] [--phases idle,loaded] [SCENARIO ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.errors import HarnessError  # noqa: E402
from harness.repeats import Tally, tally  # noqa: E402
from harness.report import load_run  # noqa: E402
from harness.runner import run_scenario  # noqa: E402
from harness.runtime.engine import docker_client  # noqa: E402
from harness.runtime.setup import prepare  # noqa: E402
from harness.scenario import ScenarioError, load_scenario, resolve  # noqa: E402

SHIPPED = [REPO / "scenarios", REPO / "examples" / "redis-sentinel" / "scenario.yaml"]


@contextmanager
def cpu_hog(busy: bool) -> Iterator[None]:
    """One process spinning on a core for the block's duration (nothing when not busy)."""
    if not busy:
        yield
        return
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


def scenario_files(paths: list[Path]) -> list[Path]:
    return [f for p in paths for f in (sorted(p.glob("*.yaml")) if p.is_dir() else [p])]


def run_all(files: list[Path], repeats: int, reports: Path) -> list[Tally]:
    images = prepare(None)
    client = docker_client()
    for path in files:
        scenario = load_scenario(path)
        for architecture in scenario.architectures:
            run = resolve(scenario, architecture)
            for number in range(1, repeats + 1):
                result = run_scenario(run, scenario_file=str(path), images=images, client=client,
                                      reports_dir=reports, seed=scenario.seed, say=lambda _: None)
                mark = "matched" if result.passed else "DID NOT MATCH"
                print(f"  {scenario.name} / {architecture} run {number}: {mark}: {result.record.outcome.summary}",
                      flush=True)
                for key, value in result.record.meta.notes.items():  # what the run sized for this machine
                    print(f"    {key}: {value}", flush=True)
    return tally(load_run(journal.parent) for journal in sorted(reports.glob("*/journal.json")))


def print_flips(phase: str, tallies: list[Tally], minutes: float) -> None:
    flips = runs = 0
    for entry in tallies:
        print(f"{phase}: {entry.scenario} / {entry.architecture}: {entry.matched} of {entry.runs} runs matched")
        for invariant, seen in entry.states.items():
            expected = "breaks" if invariant in entry.expected_broken else "holds"
            off = entry.runs - seen[expected]
            flips += off
            runs += entry.runs
            print(f"    {invariant:32} expected {expected:6}: {seen[expected]}/{entry.runs} as expected, "
                  f"flip rate {off / entry.runs:.0%}" + (f" ({dict(seen)})" if off else ""))
    print(f"{phase}: {flips} flips in {runs} invariant verdicts ({len(tallies)} scenario/architecture pairs) "
          f"in {minutes:.0f} min; load average now {os.getloadavg()[0]:.1f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path, default=SHIPPED)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--phases", default="idle,loaded")
    args = parser.parse_args()
    phases = args.phases.split(",")
    unknown = sorted(set(phases) - {"idle", "loaded"})
    if unknown:
        parser.error(f"unknown phases {unknown}: choose idle, loaded or idle,loaded")
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, not {args.repeats}")
    files = scenario_files(args.scenarios)
    try:
        for path in files:  # every file read before the first run, not after an hour of them
            load_scenario(path)
    except (HarnessError, ScenarioError) as err:
        parser.error(str(err))
    for phase in phases:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"stability-{phase}-") as reports, cpu_hog(phase == "loaded"):
            print(f"{phase}: {len(files)} scenario files, {args.repeats} runs of each architecture", flush=True)
            tallies = run_all(files, args.repeats, Path(reports))
        print_flips(phase, tallies, (time.monotonic() - started) / 60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
