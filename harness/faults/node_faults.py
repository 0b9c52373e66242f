"""Faults of one node: killed, frozen, or restarted."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from harness.extensions import FAULTS
from harness.faults import AppliedFault, FaultContext, FaultSpec, timed
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope

if TYPE_CHECKING:
    from harness.explore.space import Space


class _OneNode(FaultSpec):
    node: str

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.node(("node",), self.node)

    @classmethod
    def draw(cls, rng: random.Random, space: Space) -> dict[str, Any] | None:
        if not space.nodes:
            return None
        return {"kind": cls.model_fields["kind"].annotation.__args__[0], "node": rng.choice(space.nodes)}


@FAULTS.register
class Kill(_OneNode):
    """Kill a node's container; with ``for:`` it is started again afterwards."""

    kind: Literal["kill"]

    def apply(self, ctx: FaultContext) -> AppliedFault:
        return timed(lambda: ctx.stack.kill(self.node), lambda: ctx.stack.start_node(self.node))


@FAULTS.register
class Pause(_OneNode):
    """Freeze a node (SIGSTOP-like); with ``for:`` it resumes afterwards."""

    kind: Literal["pause"]

    def apply(self, ctx: FaultContext) -> AppliedFault:
        return timed(lambda: ctx.stack.pause(self.node), lambda: ctx.stack.unpause(self.node))


@FAULTS.register
class Restart(_OneNode):
    """Restart a node once (takes no ``for:``)."""

    kind: Literal["restart"]
    instant: ClassVar[bool] = True

    def apply(self, ctx: FaultContext) -> AppliedFault:
        return timed(lambda: ctx.stack.restart(self.node), lambda: None)
