"""Operator actions: what the incidents' humans did, done the same way; one kind per module.

Each action records action.start and action.end (with ``error`` None when it
worked, and ``output`` when it returned something). A maintenance block in
force for an action makes it fail, as the 2018 provider's block made the
floating-IP move fail.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.events import ACTION_END, ACTION_START
from harness.history import History
from harness.scenario.spec import Spec

if TYPE_CHECKING:
    from harness.stack import Stack


class ActionRefused(Exception):
    """The action could not be done, for a reason the operator would be told (not a harness bug)."""


@dataclass
class ActionContext:
    stack: Stack
    history: History
    # The addresses a running load sends from, by the load's timeline id.
    load_addresses: Callable[[str], list[str]]
    blocked_actions: set[str] = field(default_factory=set)


class ActionSpec(Spec):
    def perform(self, ctx: ActionContext, action_id: str) -> Any:
        """Do it; return what the operator saw (recorded as the action's output), or None."""
        raise NotImplementedError


def run_action(action: ActionSpec, action_id: str, ctx: ActionContext) -> None:
    ctx.history.record(ACTION_START, action_id, True, action=action.kind)  # type: ignore[attr-defined]
    started = time.perf_counter()
    error: str | None = None
    output: Any = None
    try:
        if action_id in ctx.blocked_actions:
            raise ActionRefused("a maintenance block is in force: the provider refuses the change")
        output = action.perform(ctx, action_id)
    except ActionRefused as refused:
        error = str(refused)
    except Exception as err:  # noqa: BLE001 - an operator action failing is data, not a crash
        error = f"{type(err).__name__}: {err}"
    ctx.history.record(ACTION_END, action_id, error is None, action=action.kind,  # type: ignore[attr-defined]
                       error=error, output=output, latency_ms=(time.perf_counter() - started) * 1000)
