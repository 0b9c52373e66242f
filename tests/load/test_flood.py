"""The flood replay against the real mail stack: four attackers, the servers' own counts, the block,
and legitimate mail that keeps arriving.

One short flood for the module: attackers send until ``TOTAL`` attempts are spent; after
``BLOCK_AFTER`` accepted ones the operator blocks the four addresses through the API (the
scenario's block-ips action), so the rest are refused. The flood ends by its count, never by
its deadline, so no attempt is in flight at the end and the counts must match exactly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import httpx
import pytest

from harness.actions import ActionContext, run_action
from harness.events import ACTION_END, ACTION_START
from harness.history import Event, History
from harness.load.flood import FloodHandle, FloodRunner
from harness.load.ledger import BLOCKLIST_PROBE, FLOOD
from harness.loads.flood import Flood
from harness.probes.smtp import MAIL_STORED, SMTP_SEND
from harness.runtime.images import ImageSet
from harness.stack import Stack
from harness.topology_file import load_topology
from systems.mailstack.block_ips import BlockIps
from systems.mailstack.ledger import DatabaseLedger
from systems.mailstack.roles import MAIL_DOMAIN, SIDE_PORT_OFFSET, SMTP
from systems.mongodb.roles import members

pytestmark = pytest.mark.docker
TOPOLOGY = Path(__file__).parents[2] / "fixtures" / "topologies" / "mail_stack.yaml"
TOTAL, RATE, LEGIT_RATE = 5000, 250.0, 10.0
BLOCK_AFTER = 800  # accepted attacker attempts before the operator blocks
# as-fixed: one blocklist poll (500 ms) plus at most one slow poll (DB_TIMEOUT_MS 1.5 s); slack for a busy machine.
PROPAGATION_BOUND_S = 5.0


@dataclass
class FloodRun:
    stack: Stack
    history: History
    handle: FloodHandle
    block_started: float
    block_ended: float
    server_metrics: dict[str, dict]
    ledger_line: str  # what the ledger's final count said


@pytest.fixture(scope="module")
def flood_run(docker_engine: docker.DockerClient, images: ImageSet,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[FloodRun]:
    with Stack(load_topology(TOPOLOGY), images, client=docker_engine) as stack:
        history = History()
        spec = Flood(kind="flood", targets=[f"role:{SMTP}"], domain=MAIL_DOMAIN, attackers=4, total=TOTAL,
                     rate=RATE, legit_rate=LEGIT_RATE)
        handle = FloodRunner().start(stack, spec, history, 20180813, tmp_path_factory.mktemp("flood"),
                                     duration_s=90)
        try:
            deadline = time.monotonic() + 60
            while handle.ledger.totals(FLOOD)["accepted"] < BLOCK_AFTER and time.monotonic() < deadline:
                time.sleep(0.2)
            actions = ActionContext(stack, history, load_addresses=lambda _: handle.attacker_ips)
            run_action(BlockIps(kind="block-ips", from_load="flood"), "block", actions)
            assert handle.wait(120), "the flood should end once its count is spent"
        finally:
            handle.stop()
        port_of = stack.topology.port_of
        metrics = {node.name: httpx.get(f"http://{stack.address(node.name)}:{port_of(node.name) + SIDE_PORT_OFFSET}"
                                        "/metrics", timeout=5).json()
                   for node in stack.topology.by_role(SMTP)}
        # The flood's legitimate mail is recorded under the load's id ("flood"): its ledger counts it.
        ledger = DatabaseLedger("flood", history, 1.0, {n.name: (stack.access(n.name).address, port_of(n.name))
                                                        for n in members(stack.topology)})
        try:
            line = ledger.finish() or ""
        finally:
            ledger.close()
        (block_start,), (block_end,) = history.events(ACTION_START, "block"), history.events(ACTION_END, "block")
        assert block_end.ok, block_end.data
        yield FloodRun(stack, history, handle, block_start.t, block_end.t, metrics, line)


def test_servers_see_four_attacker_addresses_and_exactly_the_counts_locust_reported(flood_run: FloodRun) -> None:
    attackers = flood_run.handle.attacker_ips
    reported = flood_run.handle.counts_by_address()
    assert len(set(attackers)) == 4
    assert sum(reported[ip]["attempts"] for ip in attackers) == TOTAL
    for ip in attackers:
        seen_by = [name for name, m in flood_run.server_metrics.items() if ip in m["clients"]]
        assert len(seen_by) == 5, f"{ip} should have reached all five servers, reached {seen_by}"
        accepted = sum(m["clients"].get(ip, {}).get("accepted", 0) for m in flood_run.server_metrics.values())
        refused = sum(m["clients"].get(ip, {}).get("refused", 0) for m in flood_run.server_metrics.values())
        mine = reported[ip]
        print(f"{ip}: servers accepted {accepted} refused {refused}; Locust {mine}")
        assert mine["errors"] == 0
        assert (accepted, refused) == (mine["accepted"], mine["refused"] + mine["temp_failed"])


def test_every_server_refuses_the_attackers_soon_after_the_block(flood_run: FloodRun) -> None:
    attackers = set(flood_run.handle.attacker_ips)
    propagation: dict[str, float | None] = {}
    for node in flood_run.stack.topology.by_role(SMTP):
        probes = [e for e in flood_run.history.events(BLOCKLIST_PROBE, node.name)
                  if e.t >= flood_run.block_started and e.data["ip"] in attackers]
        refused_from = refused_for_good(probes)
        propagation[node.name] = None if refused_from is None else max(0.0, refused_from - flood_run.block_ended)
    print("refusing the attackers after the block:",
          ", ".join(f"{n} {'never' if s is None else f'{s:.2f} s'}" for n, s in propagation.items()))
    late = {n: s for n, s in propagation.items() if s is None or s > PROPAGATION_BOUND_S}
    assert not late, f"servers not refusing within {PROPAGATION_BOUND_S} s: {late}"


def test_legitimate_senders_keep_getting_their_mail_stored(flood_run: FloodRun) -> None:
    sends = flood_run.history.events(SMTP_SEND)
    assert {e.source for e in sends} == {"flood"}
    legit_ips = set(flood_run.handle.legit_ips)
    assert sends and {e.data["sender_ip"] for e in sends} == legit_ips
    assert not legit_ips & set(flood_run.handle.attacker_ips)
    assert all(e.data["accepted"] for e in sends), [e.data for e in sends if not e.data["accepted"]][:3]
    assert any(e.t > flood_run.block_ended for e in sends), "legitimate mail should keep arriving after the block"
    assert flood_run.ledger_line.endswith(": 0 accepted message(s) missing"), flood_run.ledger_line
    final = [e for e in flood_run.history.events(MAIL_STORED) if e.data["final"]]
    assert len(final) == len(sends) and all(e.data["copies"] == 1 for e in final)


def refused_for_good(probes: list[Event]) -> float | None:
    """When the probes start refusing and never accept again; None if the last one got through."""
    accepted = [i for i, e in enumerate(probes) if not e.data["refused"]]
    if not accepted:
        return probes[0].t if probes else None
    after = accepted[-1] + 1
    return probes[after].t if after < len(probes) else None
