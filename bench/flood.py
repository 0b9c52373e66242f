"""Flood capacity for incident C: what four attacker containers generate, and what the stack takes.

1. generator: the four attackers (Locust workers, one container and address each) flood null
   SMTP sinks (containers that accept and discard) with no rate limit: attempts per second.
2. stack: the same four attackers flood the mail stack's five SMTP servers: attempts, accepted
   (Locust's count) and stored (the servers' own counters) per second.

Each rate is averaged over the whole flood window (connection set-up included) and printed with
its ratio to the incident's average, 300,000 attempts in 15 minutes. The machine is shared: the
host's load average is printed too, since CPU others use is CPU the flood does not get.

    .venv/bin/python bench/flood.py [--seconds 15] [--connections 8] [--sinks 2] [--part both]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.extensions import load_kinds  # noqa: E402
from harness.history import History  # noqa: E402
from harness.load.flood import FloodRunner  # noqa: E402
from harness.load.ledger import FLOOD  # noqa: E402
from harness.load.plan import Target  # noqa: E402
from harness.load.settings import MAX_TOTAL  # noqa: E402
from harness.load.sink import start_null_sinks  # noqa: E402
from harness.runtime.engine import docker_client  # noqa: E402
from harness.runtime.images import ImageSet  # noqa: E402
from harness.runtime.setup import prepare  # noqa: E402
from harness.loads.flood import Flood  # noqa: E402
from harness.stack import Stack  # noqa: E402
from harness.topology import Node, Provider, Topology  # noqa: E402
from harness.topology_file import load_topology  # noqa: E402
from systems.mailstack.roles import MAIL_DOMAIN, SIDE_PORT_OFFSET, SMTP  # noqa: E402

INCIDENT_RATE = 300_000 / (15 * 60)
GENERATOR_TARGET, STORED_TARGET = 3000, 1000
ATTACKERS = 4
# Asked-for rate: far above anything this machine can do, so the attackers go flat out.
FLAT_OUT = 1_000_000.0


def sink_topology() -> Topology:
    """The sinks need a public network; one idle box is the smallest stack that has one."""
    load_kinds()  # the vantage role
    return Topology(providers={"lab": Provider()}, nodes=[Node(name="box", role="vantage", provider="lab")])


def flood(stack: Stack, targets: list[Target] | None, seconds: float, connections: int,
          out_dir: Path) -> tuple[dict[str, int], float]:
    """The attackers' counts, and the CPU seconds their processes spent. Without ``targets``
    the attackers flood the stack's SMTP servers; with them, those (the run's null sinks)."""
    spec = Flood(kind="flood", targets=[f"role:{SMTP}"], domain=MAIL_DOMAIN, attackers=ATTACKERS, total=MAX_TOTAL,
                 rate=FLAT_OUT)
    runner = FloodRunner(targets=targets, connections=connections, sample_fraction=0.001)
    handle = runner.start(stack, spec, History(), 1, out_dir, duration_s=seconds)
    try:
        handle.wait(seconds + 120)
    finally:
        handle.stop()
    return handle.ledger.totals(FLOOD), handle.ledger.cpu_seconds(FLOOD)


def cpu_per_attempt(cpu_s: float, attempts: int) -> str:
    return f"{cpu_s / attempts * 1e6:.0f} us" if attempts else "n/a"


def per_second(count: int, seconds: float) -> str:
    rate = count / seconds
    return f"{rate:,.0f}/s ({rate / INCIDENT_RATE:.1f}x the incident's {INCIDENT_RATE:.0f}/s)"


def verdict(count: int, seconds: float, target: int) -> str:
    return f"target {target:,}/s {'met' if count / seconds >= target else 'NOT met'}"


def load_average() -> str:
    return ", ".join(f"{n:.1f}" for n in os.getloadavg())


def generator_part(images: ImageSet, args: argparse.Namespace, out: Path) -> None:
    with Stack(sink_topology(), images, client=docker_client()) as stack:
        sinks = start_null_sinks(stack, args.sinks)
        before = load_average()
        counts, attackers_cpu = flood(stack, [s.target for s in sinks], args.seconds, args.connections,
                                      out / "generator")
        seen = [s.metrics() for s in sinks]
    taken, sinks_cpu = sum(m["accepted"] for m in seen), sum(m["cpu_s"] for m in seen)
    users = ATTACKERS * args.sinks * args.connections
    print(f"generator: {ATTACKERS} attackers -> {args.sinks} null sinks, {users} connections, {args.seconds:g} s "
          f"(load average {before} before, {load_average()} after)")
    print(f"  attempts  {per_second(counts['attempts'], args.seconds)}  "
          f"[{verdict(counts['attempts'], args.seconds, GENERATOR_TARGET)}]")
    print(f"  the sinks counted {taken:,} messages; Locust {counts['accepted']:,} accepted, "
          f"{counts['errors']:,} errors")
    print(f"  CPU per attempt: attackers {cpu_per_attempt(attackers_cpu, counts['attempts'])}, "
          f"sinks {cpu_per_attempt(sinks_cpu, taken)} (each process's own CPU time)", flush=True)


def stack_part(images: ImageSet, args: argparse.Namespace, out: Path) -> None:
    topology = load_topology(REPO / "fixtures/topologies/mail_stack.yaml")
    with Stack(topology, images, client=docker_client()) as stack:
        servers = topology.by_role(SMTP)

        def stored() -> tuple[int, int]:
            snapshots = [httpx.get(f"http://{stack.address(n.name)}:{topology.port_of(n.name) + SIDE_PORT_OFFSET}"
                                   "/metrics", timeout=5).json() for n in servers]
            return sum(s["stored"] for s in snapshots), sum(s["spool_pending"] for s in snapshots)

        stored_before, _ = stored()
        before = load_average()
        counts, attackers_cpu = flood(stack, None, args.seconds, args.connections, out / "stack")
        stored_after, spooled = stored()
    users = ATTACKERS * len(servers) * args.connections
    print(f"stack: {ATTACKERS} attackers -> {len(servers)} SMTP servers ({images.database_tier}), {users} connections, "
          f"{args.seconds:g} s (load average {before} before, {load_average()} after)")
    print(f"  attempts  {per_second(counts['attempts'], args.seconds)}")
    print(f"  accepted  {per_second(counts['accepted'], args.seconds)}  "
          f"(refused {counts['refused']:,}, temp-failed {counts['temp_failed']:,}, errors {counts['errors']:,})")
    print(f"  stored    {per_second(stored_after - stored_before, args.seconds)}  "
          f"[{verdict(stored_after - stored_before, args.seconds, STORED_TARGET)}]; "
          f"{spooled:,} waiting in spools")
    print(f"  CPU per attempt: attackers {cpu_per_attempt(attackers_cpu, counts['attempts'])}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each flood")
    parser.add_argument("--connections", type=int, default=8, help="per attacker and per target server")
    parser.add_argument("--sinks", type=int, default=2, help="null sinks for the generator part")
    parser.add_argument("--part", choices=["generator", "stack", "both"], default="both")
    parser.add_argument("--out", type=Path, default=None, help="keep Locust's CSV files here")
    args = parser.parse_args()
    images = prepare(None)  # builds what is missing, outside the measured part
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-flood-"))
    print(f"host: {os.cpu_count()} CPUs; Locust CSV files and logs in {out}", flush=True)
    started = time.monotonic()
    if args.part in ("generator", "both"):
        generator_part(images, args, out)
    if args.part in ("stack", "both"):
        stack_part(images, args, out)
    print(f"bench took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
