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
# An operator retries a change the API fails to take, for about a minute.
BLOCK_RETRY_FOR_S = 60


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
            _block_through_the_api(addresses, action_id, ctx)
        case spec.MoveFloatingIp(to=target):
            ctx.stack.move_floating_ip(target)
        case spec.CustomAction(use=path, args=args):
            handler: Callable[..., Any] = resolve_import(path)
            handler(ctx, **args)


def _block_through_the_api(addresses: list[str], action_id: str, ctx: ActionContext) -> None:
    """POST the blocklist through the front, retrying server errors and timeouts as an
    operator would (each failed try is an action.retry event), until BLOCK_RETRY_FOR_S."""
    deadline = time.monotonic() + BLOCK_RETRY_FOR_S
    while True:
        try:
            response = httpx.post(f"{ctx.front_url()}/api/blocklist", json={"ips": addresses},
                                  headers={"X-Api-Key": ctx.api_key}, timeout=API_CALL_TIMEOUT_S)
            if response.status_code < 300:
                return
            failure = f"the API answered {response.status_code}: {_first_line(response.text)}"
            if response.status_code < 500:
                raise ActionRefused(failure)
        except httpx.HTTPError as err:
            failure = f"{type(err).__name__}: {err}"
        if time.monotonic() >= deadline:
            raise ActionRefused(f"gave up after {BLOCK_RETRY_FOR_S:.0f} s; last try: {failure}")
        ctx.history.record("action.retry", action_id, False, error=failure)
        time.sleep(1)


def _first_line(body: str) -> str:
    """An error page's headline rather than its markup."""
    text = " ".join(body.replace("<", " <").split())
    for tag in ("<h1>", "<title>"):
        if tag in text:
            return text.split(tag, 1)[1].split("<", 1)[0].strip()
    return text[:200]
