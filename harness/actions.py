"""Operator actions: what the incidents' humans did, done the same way.

Each action records action.start and action.end (with ``error`` None when it
worked). A maintenance block in force for an action makes it fail, as the
2018 provider's block made the floating-IP move fail.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness.history import History
from harness.scenario import timeline as spec
from harness.scenario.imports import resolve_import
from harness.stack import Stack

API_CALL_TIMEOUT_S = 10


@dataclass
class ActionContext:
    stack: Stack
    history: History
    api_key: str
    front_url: Callable[[], str]
    attacker_ips: Callable[[str], list[str]]
    blocked_actions: set[str] = field(default_factory=set)


def run_action(action: spec.Action, action_id: str, ctx: ActionContext) -> None:
    ctx.history.record("action.start", action_id, True, action=action.kind)
    started = time.perf_counter()
    error: str | None = None
    try:
        if action_id in ctx.blocked_actions:
            raise ActionRefused("a maintenance block is in force: the provider refuses the change")
        _perform(action, action_id, ctx)
    except ActionRefused as refused:
        error = str(refused)
    except Exception as err:  # noqa: BLE001 - an operator action failing is data, not a crash
        error = f"{type(err).__name__}: {err}"
    ctx.history.record("action.end", action_id, error is None, action=action.kind, error=error,
                       latency_ms=(time.perf_counter() - started) * 1000)


class ActionRefused(Exception):
    pass


def _perform(action: spec.Action, action_id: str, ctx: ActionContext) -> None:
    match action:
        case spec.RestartRole(role=role, interval=interval):
            nodes = ctx.stack.topology.by_role(role)
            for index, node in enumerate(nodes):
                if index:
                    time.sleep(interval)
                ctx.stack.restart(node.name)
                ctx.history.record("node.restart", node.name, True, reason=action_id)
        case spec.BlockIps(ips=ips, from_load=load_id):
            addresses = ips if ips is not None else ctx.attacker_ips(load_id or "")
            response = httpx.post(f"{ctx.front_url()}/api/blocklist", json={"ips": addresses},
                                  headers={"X-Api-Key": ctx.api_key}, timeout=API_CALL_TIMEOUT_S)
            if response.status_code >= 300:
                raise ActionRefused(f"the API answered {response.status_code}: {response.text[:200]}")
        case spec.MoveFloatingIp(to=target):
            ctx.stack.move_floating_ip(target)
        case spec.CustomAction(use=path, args=args):
            handler: Callable[..., Any] = resolve_import(path)
            handler(ctx, **args)
