"""Restart every node of a role in series, as the 2018 operators rebooted the API servers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Literal

from harness.actions import ActionContext, ActionSpec
from harness.events import NODE_RESTART
from harness.extensions import ACTIONS
from harness.fields import Duration
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope


@ACTIONS.register
class RestartRole(ActionSpec):
    """Restart every node of ``role`` one after another, ``interval`` (real time) apart."""

    kind: Literal["restart-role"]
    role: str
    interval: Duration = 5.0

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.role(("role",), self.role)

    def perform(self, ctx: ActionContext, action_id: str) -> Any:
        for index, node in enumerate(ctx.stack.topology.by_role(self.role)):
            if index:
                time.sleep(self.interval)
            ctx.stack.restart(node.name)
            ctx.history.record(NODE_RESTART, node.name, True, reason=action_id)
        return None
