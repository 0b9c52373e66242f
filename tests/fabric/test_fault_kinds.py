"""Each scenario fault kind has the effect it claims, applied as a run applies it."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from harness.extensions import load_kinds
from harness.faults import AppliedFault, FaultContext, FaultSpec
from harness.scenario.timeline import timeline_entry_model
from harness.stack import Stack

pytestmark = pytest.mark.docker
Look = Callable[..., dict]  # the `look` fixture of conftest.py


def fault(raw: dict) -> FaultSpec:
    load_kinds()
    return timeline_entry_model().model_validate({"id": "f", "at": "t+0s", "fault": raw}).fault


def apply_fault(raw: dict, stack: Stack, blocked: set[str] | None = None) -> AppliedFault:
    """The fault applied as a run applies it: entry id "f", with the run's blocked actions."""
    return fault(raw).apply(FaultContext(stack, "f", set() if blocked is None else blocked))


def test_router_failure_spares_the_vantage_provider_and_heals(stack: Stack, look: Look) -> None:
    applied = apply_fault({"kind": "router-failure", "provider": "west", "except": ["office"]}, stack)
    assert applied.links == len(stack.fabric.links_of_provider("west", spare=["office"]))
    assert not look("box-east", "echo-west", timeout_s=1.0)["ok"]
    assert look("desk", "echo-west")["ok"]
    applied.revert()
    assert look("box-east", "echo-west")["ok"]


def test_partition_between_nodes_cuts_only_their_links(stack: Stack, look: Look) -> None:
    applied = apply_fault({"kind": "partition", "between": ["box-east", "echo-west"]}, stack)
    assert not look("box-east", "echo-west")["ok"]
    assert look("desk", "echo-west")["ok"]
    applied.revert()
    assert look("box-east", "echo-west")["ok"]


def test_reset_peer_resets_connections_on_the_link(stack: Stack, look: Look) -> None:
    applied = apply_fault({"kind": "reset-peer", "from": "east", "to": "echo-west"}, stack)
    seen = look("box-east", "echo-west")
    assert not seen["ok"] and seen["error"], seen
    applied.revert()
    assert look("box-east", "echo-west")["ok"]


def test_bandwidth_limit_slows_a_bulk_transfer(stack: Stack, look: Look) -> None:
    script = ("import socket,time;c=socket.create_connection(('echo-west',7002),timeout=20);"
              "t=time.perf_counter();c.sendall(b'x'*200000);n=0\n"
              "while n<200000: n+=len(c.recv(65536))\n"
              "print(time.perf_counter()-t)")

    def transfer_s() -> float:
        code, out = stack.exec("box-east", ["python", "-c", script], timeout_s=30)
        assert code == 0, out
        return float(out.strip())

    before = transfer_s()
    applied = apply_fault({"kind": "bandwidth", "from": "east", "to": "echo-west", "rate_kbps": 100}, stack)
    during = transfer_s()
    applied.revert()
    # 200 kB back at 100 kB/s takes about 2 s; unthrottled it is milliseconds.
    assert during >= 1.5 > before, (before, during)


def test_pause_freezes_a_node_until_resumed(stack: Stack, look: Look) -> None:
    applied = apply_fault({"kind": "pause", "node": "echo-west"}, stack)
    assert not look("box-west", "echo-west", timeout_s=1.0)["ok"]
    applied.revert()
    assert look("box-west", "echo-west")["ok"]


def test_kill_stops_a_node_and_its_end_starts_it_again(stack: Stack, look: Look) -> None:
    applied = apply_fault({"kind": "kill", "node": "echo-east"}, stack)
    assert not look("box-east", "echo-east")["ok"]
    applied.revert()
    assert look("box-east", "echo-east")["ok"]


def test_restart_is_instant_and_the_node_answers_again_once_it_returns(stack: Stack, look: Look) -> None:
    restart = fault({"kind": "restart", "node": "echo-east"})
    assert restart.instant
    applied = restart.apply(FaultContext(stack, "f"))
    assert applied.links == 1 and applied.apply_ms > 0
    assert look("box-east", "echo-east")["ok"]  # restart() returns once the node is ready again


def test_latency_fault_slows_only_the_links_it_names(stack: Stack, look: Look) -> None:
    applied = apply_fault({"kind": "latency", "from": "east", "to": "echo-west", "latency": "400ms"}, stack)
    assert applied.links == 1
    assert look("box-east", "echo-west")["ms"] >= 390
    assert look("box-west", "echo-east")["ms"] < 390
    applied.revert()


def test_maintenance_block_holds_only_while_in_force() -> None:
    blocked: set[str] = set()
    applied = apply_fault({"kind": "maintenance-block", "blocks": "move-ip"}, None, blocked)  # type: ignore[arg-type]
    assert blocked == {"move-ip"}
    applied.revert()
    assert blocked == set()


def test_a_fault_reports_how_long_applying_took(stack: Stack, look: Look) -> None:
    started = time.perf_counter()
    applied = apply_fault({"kind": "provider-outage", "provider": "east"}, stack)
    elapsed_ms = (time.perf_counter() - started) * 1000
    applied.revert()
    assert 0 < applied.apply_ms <= elapsed_ms
