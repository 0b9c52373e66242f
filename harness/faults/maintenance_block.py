"""A provider's maintenance block: while in force, it refuses one operator action."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from harness.extensions import FAULTS
from harness.faults import AppliedFault, FaultContext, FaultSpec, timed
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope


@FAULTS.register
class MaintenanceBlock(FaultSpec):
    """The provider refuses changes: while in force, operator action ``blocks`` fails."""

    kind: Literal["maintenance-block"]
    blocks: str

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.entry(("blocks",), self.blocks, "action")

    def apply(self, ctx: FaultContext) -> AppliedFault:
        # A provider's policy, not a network change: it touches neither fabric nor nodes.
        return timed(lambda: ctx.blocked_actions.add(self.blocks),
                     lambda: ctx.blocked_actions.discard(self.blocks))
