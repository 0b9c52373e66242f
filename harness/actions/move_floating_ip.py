"""Move the floating IP to another node: the 2018 hot-spare plan."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from harness.actions import ActionContext, ActionSpec
from harness.extensions import ACTIONS
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope


@ACTIONS.register
class MoveFloatingIp(ActionSpec):
    """Move the floating IP to public node ``to``."""

    kind: Literal["move-floating-ip"]
    to: str

    def problems(self, scope: Scope) -> Iterator[Problem]:
        problems = scope.node(("to",), self.to)
        yield from problems
        if not problems and not scope.topology.node(self.to).is_public:
            yield Problem(("to",), f"node '{self.to}' is not public, so it cannot take the floating IP",
                          "name a public node (a proxy, or one with public: true)")

    def perform(self, ctx: ActionContext, action_id: str) -> Any:
        ctx.stack.move_floating_ip(self.to)
        return None
