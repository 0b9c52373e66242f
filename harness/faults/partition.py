"""A partition between two providers or nodes, both ways or one way."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, field_validator

from harness.extensions import FAULTS
from harness.fabric import CutMode, Link
from harness.faults import AppliedFault, FaultContext, FaultSpec, cut
from harness.fields import invalid
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope

if TYPE_CHECKING:
    from harness.explore.space import Space
    from harness.topology import Topology


@FAULTS.register
class Partition(FaultSpec):
    """Cut the links between two providers or nodes; ``one-way`` cuts only first -> second."""

    kind: Literal["partition"]
    between: Annotated[list[str], Field(min_length=2, max_length=2)]
    direction: Literal["both", "one-way"] = "both"

    @field_validator("between")
    @classmethod
    def _two_sides(cls, between: list[str]) -> list[str]:
        if between[0] == between[1]:
            raise invalid(f"a partition needs two different sides, got '{between[0]}' twice",
                          "name two providers or nodes: between: [a, b]")
        return between

    def problems(self, scope: Scope) -> Iterator[Problem]:
        for index, side in enumerate(self.between):
            yield from scope.node_or_provider(("between", index), side)

    def apply(self, ctx: FaultContext) -> AppliedFault:
        a, b = self.between
        links = _links(ctx, a, b)
        if self.direction == "both":
            links += _links(ctx, b, a)
        return cut(ctx.fabric, links, CutMode.REFUSE)

    @classmethod
    def draw(cls, rng: random.Random, space: Space) -> dict[str, Any] | None:
        if len(space.providers) < 2:
            return None
        a, b = rng.sample(space.providers, 2)
        return {"kind": "partition", "between": [a, b], "direction": rng.choice(["both", "one-way"])}

    def narrower(self, topology: Topology) -> list[dict[str, Any]]:
        """One way instead of both; then from a provider to one node of the other side."""
        a, b = self.between
        if self.direction == "both":
            return [{"kind": "partition", "between": [a, b], "direction": "one-way"},
                    {"kind": "partition", "between": [b, a], "direction": "one-way"}]
        if b in topology.providers:
            return [{"kind": "partition", "between": [a, node.name], "direction": "one-way"}
                    for node in topology.nodes_in(b) if node.ports]
        return []


def _links(ctx: FaultContext, source: str, target: str) -> list[Link]:
    """Links from side ``source`` to the nodes of side ``target``. A side is a provider or a
    node; the fabric cannot tell apart senders inside one provider, so a node side speaks for
    its whole provider."""
    topology = ctx.stack.topology
    provider = source if source in topology.providers else topology.node(source).provider
    nodes = [n.name for n in topology.nodes_in(target)] if target in topology.providers else [target]
    return [link for node in nodes for link in ctx.fabric.links_of_node(provider, node)]
