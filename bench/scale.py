"""How cost grows: stacks of about 13, 50 and 100 nodes, and histories of 10^4 to 10^6 events.

For each stack size (over 4, 8 and 16 providers; mostly echo and idle nodes, with a
replica set and the mail roles where they fit) it prints the bring-up to every node
ready, the links (proxies) and Toxiproxy shards, one provider outage applied and
healed (and how many links it cut), healing everything, the resident memory of
Toxiproxy and of the harness, and the removal; then the growth between sizes as
ratios. For each history length it prints the time to write the run's journal,
JUnit and report, the report's size, and the harness's memory for it (each in a
fresh process, so one length does not pay for another).

Targets on the 2-core machine: 100 nodes up within 60 s; applying and healing a fault
growing no faster than its links, at most 1 ms a link; the report of 10^6 events within
10 s, and a report.html a browser opens (its charts downsampled).

    .venv/bin/python bench/scale.py [--sizes 13,50,100] [--events 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.extensions import load_kinds  # noqa: E402
from harness.fabric import CutMode  # noqa: E402
from harness.runtime.engine import docker_client  # noqa: E402
from harness.runtime.setup import prepare  # noqa: E402
from harness.stack import Stack  # noqa: E402
from harness.topology import Topology  # noqa: E402

PROVIDERS_FOR = {13: 4, 50: 8, 100: 16}
HISTORY_SCENARIO = REPO / "tests" / "report" / "data" / "database_router_failure.yaml"


def topology(nodes: int, providers: int) -> Topology:
    """``nodes`` nodes over ``providers`` providers: a replica set across the first three
    providers, one of each mail role, and echo and idle nodes for the rest."""
    names = [f"p{i}" for i in range(providers)]
    spec: list[dict[str, Any]] = [
        {"name": "mongo-1", "role": "mongo", "provider": names[0]},
        {"name": "mongo-2", "role": "mongo", "provider": names[1]},
        {"name": "mongo-3", "role": "arbiter", "provider": names[2]},
        {"name": "api-1", "role": "api", "provider": names[1]},
        {"name": "smtp-1", "role": "smtp", "provider": names[2]},
        {"name": "proxy-1", "role": "proxy", "provider": names[0]},
    ]
    for index in range(nodes - len(spec)):
        role = "echo" if index % 2 == 0 else "vantage"
        spec.append({"name": f"{role}-{index}", "role": role, "provider": names[index % providers]})
    return Topology.model_validate({"providers": {name: {} for name in names}, "nodes": spec})


@dataclass
class StackFigures:
    nodes: int
    providers: int
    links: int
    shards: int
    bring_up_s: float
    outage_links: int
    apply_ms: float
    heal_ms: float
    heal_all_ms: float
    toxiproxy_mb: float
    harness_mb: float
    removal_s: float


def measure_stack(nodes: int, providers: int) -> StackFigures:
    images = prepare(None)
    client = docker_client()
    stack = Stack(topology(nodes, providers), images, client=client)
    started = time.perf_counter()
    try:
        stack.start()
        bring_up = time.perf_counter() - started
        assert stack.fabric is not None
        links = stack.fabric.links_of_provider("p1")
        apply_ms = stack.fabric.cut(links, CutMode.BLACKHOLE)
        heal_ms = stack.fabric.restore(links)
        healing = time.perf_counter()
        stack.fabric.heal_all()
        heal_all_ms = (time.perf_counter() - healing) * 1000
        toxiproxy_mb = sum(_container_mb(client, f"outage-{stack.run_id}-toxiproxy-{i}")
                           for i in range(len(stack.toxiproxy_urls)))
        figures = dict(links=len(stack.fabric.links), shards=len(stack.toxiproxy_urls), bring_up_s=bring_up,
                       outage_links=len(links), apply_ms=apply_ms, heal_ms=heal_ms, heal_all_ms=heal_all_ms,
                       toxiproxy_mb=toxiproxy_mb, harness_mb=_own_mb())
    finally:
        removing = time.perf_counter()
        stack.stop()
        removal = time.perf_counter() - removing
    return StackFigures(nodes, providers, removal_s=removal, **figures)


def _container_mb(client: Any, name: str) -> float:
    stats = client.containers.get(name).stats(stream=False, one_shot=True)
    return float(stats["memory_stats"].get("usage", 0)) / 2**20


def _own_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure_history(events: int, result: Any) -> None:
    """In its own process: a synthetic run of ``events`` typed events, written as a report."""
    from harness.report import write_run
    from report_history import synthetic_record  # bench/report_history.py

    load_kinds()
    before = _own_mb()
    record = synthetic_record(HISTORY_SCENARIO, events)
    built = _own_mb()
    with tempfile.TemporaryDirectory(prefix="scale-report-") as folder:
        started = time.perf_counter()
        written = write_run(Path(folder), record)
        seconds = time.perf_counter() - started
        sizes = {name: path.stat().st_size / 2**20 for name, path in written.items()}
        render = {"report_s": seconds}
    result.put({"events": events, "history_mb": built - before, "peak_mb": _own_mb(), **render,
                "report_mb": sizes["report"], "journal_mb": sizes["journal"]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="13,50,100")
    parser.add_argument("--events", default="10000,100000,1000000")
    args = parser.parse_args()
    load_kinds()
    stacks = [measure_stack(n, PROVIDERS_FOR.get(n, max(4, n // 6))) for n in map(int, args.sizes.split(","))]
    print("nodes providers links shards  bring-up  outage-links  apply   heal  heal-all  toxiproxy  harness  removal")
    for s in stacks:
        print(f"{s.nodes:5} {s.providers:9} {s.links:5} {s.shards:6} {s.bring_up_s:7.1f} s {s.outage_links:12} "
              f"{s.apply_ms:5.0f}ms {s.heal_ms:4.0f}ms {s.heal_all_ms:6.0f}ms {s.toxiproxy_mb:7.0f} MB "
              f"{s.harness_mb:5.0f} MB {s.removal_s:6.1f} s")
    for small, big in zip(stacks, stacks[1:], strict=False):
        print(f"{small.nodes} -> {big.nodes} nodes: links x{big.links / small.links:.1f}, "
              f"bring-up x{big.bring_up_s / small.bring_up_s:.1f}, outage links x{big.outage_links / small.outage_links:.1f}, "
              f"apply x{big.apply_ms / small.apply_ms:.1f} ({big.apply_ms / big.outage_links:.2f} ms a link), "
              f"heal x{big.heal_ms / small.heal_ms:.1f} ({big.heal_ms / big.outage_links:.2f} ms a link), "
              f"Toxiproxy memory x{big.toxiproxy_mb / small.toxiproxy_mb:.1f}, removal x{big.removal_s / small.removal_s:.1f}")
    histories = []
    context = multiprocessing.get_context("spawn")
    for events in map(int, args.events.split(",")):
        result = context.Queue()
        worker = context.Process(target=measure_history, args=(events, result))
        worker.start()
        histories.append(result.get())
        worker.join()
    print("events     history  peak memory  report written  report.html  journal.json")
    for h in histories:
        print(f"{h['events']:9,} {h['history_mb']:7.0f} MB {h['peak_mb']:8.0f} MB {h['report_s']:11.1f} s "
              f"{h['report_mb']:9.1f} MB {h['journal_mb']:10.1f} MB")
    for small, big in zip(histories, histories[1:], strict=False):
        print(f"{small['events']:,} -> {big['events']:,} events: report time x{big['report_s'] / small['report_s']:.1f}, "
              f"memory x{big['history_mb'] / max(small['history_mb'], 1):.1f}, "
              f"report.html x{big['report_mb'] / small['report_mb']:.1f}")
    print(json.dumps({"stacks": [s.__dict__ for s in stacks], "histories": histories}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
