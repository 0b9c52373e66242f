"""A small API leg sized to this machine: incident C's leg that timed out under the flood,
reproduced by the load it saw rather than by a CPU share tuned on one machine.

An ``api`` node with ``saturation: F`` gets the CPU share at which the run's
flood asks F times what the leg sustains. Once the legs are up, the set-up
measures the leg's CPU per ingest request at a whole CPU (from its own cgroup,
over a burst of ingest requests like the SMTP servers send), works out the
flood's ingest demand on it (the flood's rate times the share of its SMTP
servers that hand mail to this leg), and sets ``cpus = demand x CPU per
request / F``. The same file then overloads the leg by the same factor on a
2-core laptop and a 16-core runner. Every figure goes into the run's journal.
The leg is sized the same way in every architecture: only the 2018 one sends
it the mail.
"""

from __future__ import annotations

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
REQUESTS = 400
CONCURRENCY = 8
MIN_CPUS = 0.01  # Docker's smallest CPU quota is 1 ms per 100 ms period
CPU_PERIOD_US = 100_000
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
    cpu_per_request = _cpu_per_ingest(stack, leg, container)
    cpus = max(MIN_CPUS, demand * cpu_per_request / factor)
    container.update(cpu_period=CPU_PERIOD_US, cpu_quota=round(cpus * CPU_PERIOD_US))
    stack.say(f"{leg.name}: {cpu_per_request * 1000:.2f} ms of CPU per ingest here; flood '{flood}' asks "
              f"{demand:.0f} ingests/s of it; {cpus:.3f} CPU makes that {factor:g} times what it sustains")
    return {"load": flood, "saturation": factor, "cpu_ms_per_ingest": round(cpu_per_request * 1000, 4),
            "ingests_per_s_per_cpu": round(1 / cpu_per_request, 1), "demand_per_s": round(demand, 1),
            "cpus": round(cpus, 4)}


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


def _cpu_per_ingest(stack: Stack, leg: Node, container: Any) -> float:
    """CPU seconds the leg spends per ingest request, from its cgroup, over a burst of them
    (the leg starts without a CPU limit)."""
    url = f"http://{stack.access(leg.name).reach}:{leg.port}{INGEST_PATH}"
    with httpx.Client(timeout=10, headers={"X-Api-Key": API_KEY, "Content-Type": "application/json"}) as client:
        _ingest(client, url, 20)  # warm: connections, the database's indexes
        before = _cpu_ns(container)
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            stored = sum(pool.map(lambda _: _ingest(client, url, REQUESTS // CONCURRENCY), range(CONCURRENCY)))
        used = _cpu_ns(container) - before
    if stored < REQUESTS // 2:
        raise HarnessError(f"calibrating '{leg.name}': only {stored} of {REQUESTS} ingest requests succeeded",
                           "look at the leg's log (reports/<run>/logs) for why it refuses them")
    return used / 1e9 / stored


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
