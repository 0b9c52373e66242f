"""A small API leg sized to this machine: incident C's leg that timed out under the flood,
reproduced by the load it saw rather than by a CPU share tuned on one machine.

An ``api`` node with ``saturation: F`` gets the CPU share at which it sustains 1/F of the
ingest requests the run's flood asks of it (the flood's rate times the share of its SMTP
servers that hand mail to this leg). Once the legs are up, the set-up measures the leg's CPU
per ingest request at a whole CPU (from its own cgroup) for a first guess, then measures what
the leg really sustains under that limit, with many requests in flight as under the flood,
and corrects the limit twice from the rates measured (``_next_guess``).

Why not CPU time alone: a throttled leg does less per CPU second than an unthrottled one
(here a 0.064 CPU share spent 1.3 to 1.8 ms of it per request where a whole CPU spent
0.95 ms), so the real factor was left to the machine. The rate sustained at the final limit
is measured once more and goes into the run's journal with every step. The same file then
overloads the leg by the same factor on a 2-core laptop and a 16-core runner. The leg is
sized the same way in every architecture: only the 2018 one sends it the mail.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from harness.errors import HarnessError
from harness.extensions import SETUPS
from harness.roles import StackSetup
from harness.scenario.spec import ROLE_PREFIX
from harness.topology import Node
from systems.mailstack.roles import API, API_KEY, MAIL_DOMAIN, ingest_leg_url

if TYPE_CHECKING:
    from harness.stack import Stack

INGEST_PATH = "/internal/ingest"
REQUESTS = 400  # the burst at a whole CPU, for the first guess
CONCURRENCY = 8
IN_FLIGHT = 32  # under the limit: as many as one SMTP server's flood sessions
WARM_S = 1.0  # under a new limit, before counting
MEASURE_S = 4.0
CORRECTIONS = 2
MIN_CPUS = 0.01  # Docker's smallest CPU quota is 1 ms per 100 ms period
CPU_PERIOD_US = 100_000
READ_ITS_LOG = "look at the leg's log (reports/<run>/logs) for why it refuses them"
BODY = "\n".join(f"line {n} of a calibration message, as long as a flood's" for n in range(20))


def _calibrate(stack: Stack, legs: list[Node]) -> None:
    for leg in legs:
        settings = leg.role_settings
        if settings is None or settings.saturation is None:
            continue
        stack.notes[f"calibration of {leg.name}"] = _size(stack, leg, settings.saturation)


def _size(stack: Stack, leg: Node, factor: float) -> dict[str, Any]:
    demand, flood = _flood_demand(stack, leg)
    if leg.cpus is not None:
        raise HarnessError(f"node '{leg.name}' gives both cpus and saturation", "keep one of them")
    container = stack.client.containers.get(stack.container_name(leg.name))
    url = f"http://{stack.access(leg.name).reach}:{leg.port}{INGEST_PATH}"
    target = demand / factor
    most = float(os.cpu_count() or 1)
    with httpx.Client(timeout=10, headers={"X-Api-Key": API_KEY, "Content-Type": "application/json"},
                      limits=httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)) as client:
        cpu_per_request = _cpu_per_ingest(client, url, leg, container)
        cpus = target * cpu_per_request
        steps: list[tuple[float, float]] = []
        for _ in range(CORRECTIONS):
            cpus = min(most, max(MIN_CPUS, cpus))
            steps.append((cpus, _sustained_at(client, url, leg, container, cpus)))
            cpus = _next_guess(steps, target)
        cpus = min(most, max(MIN_CPUS, cpus))
        sustained = _sustained_at(client, url, leg, container, cpus)
    measured = demand / sustained
    stack.say(f"{leg.name}: sustains {sustained:.0f} ingests/s at {cpus:.3f} CPU (measured); flood '{flood}' "
              f"asks {demand:.0f}/s of it: {measured:.1f} times what it sustains (asked for {factor:g})")
    return {"load": flood, "saturation": factor, "demand_per_s": round(demand, 1),
            "cpu_ms_per_ingest_at_a_whole_cpu": round(cpu_per_request * 1000, 4),
            "corrections": [{"cpus": round(c, 4), "sustained_per_s": round(r, 1)} for c, r in steps],
            "cpus": round(cpus, 4), "sustained_per_s": round(sustained, 1),
            "measured_saturation": round(measured, 2)}


def _next_guess(steps: list[tuple[float, float]], target: float) -> float:
    """The CPU share at which the leg should sustain ``target``.

    Each measurement says one in proportion (share x target / sustained). A leg spends some CPU
    idle, so a measurement below the target overshoots and one above undershoots: with two, the
    share is on the line through them, kept between their two proportional answers. Unkept, a
    line through two close noisy measurements multiplies their noise: two that sustained 55/s
    and 58/s at 0.065 and 0.084 CPU put the leg at 0.166 CPU; a geometric mean of the two
    answers, tried next, left it at a median of 2.35 times instead of 3 over ten runs."""
    answers = [cpus * target / sustained for cpus, sustained in steps]
    if len(steps) < 2:
        return answers[-1]
    (before, sustained_before), (cpus, sustained) = steps[-2:]
    if sustained <= sustained_before or cpus == before:  # noise hid the slope: no line to follow
        return statistics.geometric_mean(answers[-2:])
    on_line = cpus + (target - sustained) * (cpus - before) / (sustained - sustained_before)
    return min(max(on_line, min(answers[-2:])), max(answers[-2:]))


def _flood_demand(stack: Stack, leg: Node) -> tuple[float, str]:
    """Requests per second the flood's SMTP servers would hand this leg, with the flood's id."""
    floods = {load_id: spec for load_id, spec in stack.context.loads.items() if spec.kind == "flood"}
    if not floods:
        raise HarnessError(f"node '{leg.name}' asks to be sized by a flood's saturation, and the run plays no flood",
                           "add a flood to the timeline, or give the node cpus: instead of saturation:")
    load_id, flood = next(iter(floods.items()))
    servers = [name for target in flood.targets for name in _named(stack, target)]
    mine = [name for name in servers if ingest_leg_url(stack.topology.node(name), stack.context)
            == f"http://{leg.name}:{leg.port}"]
    return (flood.rate + flood.legit_rate) * len(mine) / max(1, len(servers)), load_id


def _named(stack: Stack, target: str) -> list[str]:
    if target.startswith(ROLE_PREFIX):
        return [n.name for n in stack.topology.by_role(target.removeprefix(ROLE_PREFIX))]
    return [target]


def _cpu_per_ingest(client: httpx.Client, url: str, leg: Node, container: Any) -> float:
    """CPU seconds the leg spends per ingest request at a whole CPU, from its cgroup, over a
    burst of them (the leg starts without a CPU limit)."""
    _ingest(client, url, 20)  # warm: connections, the database's indexes
    before = _cpu_ns(container)
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        stored = sum(pool.map(lambda _: _ingest(client, url, REQUESTS // CONCURRENCY), range(CONCURRENCY)))
    used = _cpu_ns(container) - before
    if stored < REQUESTS // 2:
        raise HarnessError(f"calibrating '{leg.name}': only {stored} of {REQUESTS} ingest requests succeeded",
                           READ_ITS_LOG)
    return used / 1e9 / stored


def _sustained_at(client: httpx.Client, url: str, leg: Node, container: Any, cpus: float) -> float:
    """Ingest requests per second the leg completes under a limit of ``cpus``, with IN_FLIGHT
    requests always waiting on it, counted over MEASURE_S after WARM_S under that limit."""
    container.update(cpu_period=CPU_PERIOD_US, cpu_quota=round(cpus * CPU_PERIOD_US))
    start = time.monotonic()
    counted_from, until = start + WARM_S, start + WARM_S + MEASURE_S

    def stored_at() -> list[float]:
        times = []
        while time.monotonic() < until:
            if _ingest(client, url, 1):
                times.append(time.monotonic())
        return times

    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        finished = [t for times in pool.map(lambda _: stored_at(), range(IN_FLIGHT)) for t in times]
    counted = sum(counted_from <= t < until for t in finished)
    if counted == 0:
        raise HarnessError(f"calibrating '{leg.name}': at {cpus:.3f} CPU it stored no ingest request in "
                           f"{MEASURE_S:g} s", READ_ITS_LOG)
    return counted / MEASURE_S


def _ingest(client: httpx.Client, url: str, count: int) -> int:
    ok = 0
    for _ in range(count):
        message_id = f"<calibration-{uuid.uuid4().hex}@harness.{MAIL_DOMAIN}>"
        body = {"id": "0" * 32, "message_id": message_id, "recipients": [f"calibration@{MAIL_DOMAIN}"],
                "sender": f"calibration@harness.{MAIL_DOMAIN}", "subject": "calibration", "body": BODY,
                "size": len(BODY), "server": "calibration", "client_ip": "127.0.0.1",
                "received_at": datetime.now(UTC).isoformat()}
        try:
            ok += client.post(url, json=body).status_code in (200, 201)
        except httpx.HTTPError:
            continue
    return ok


def _cpu_ns(container: Any) -> int:
    """The container's CPU use so far, in ns (one Docker stats read, no sampling wait)."""
    for _ in range(3):
        stats = container.stats(stream=False, one_shot=True)
        usage = stats.get("cpu_stats", {}).get("cpu_usage", {}).get("total_usage")
        if usage:
            return int(usage)
        time.sleep(0.2)
    raise HarnessError("Docker reports no CPU use for the container", "the engine's cgroup accounting is off")


SETUPS.register(StackSetup("mailstack-leg-calibration", (API,), _calibrate))
