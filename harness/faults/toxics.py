"""Degraded links: latency, a bandwidth cap, connections reset; each from a provider to a node or provider."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from harness.extensions import FAULTS
from harness.faults import AppliedFault, FaultContext, FaultSpec, links_towards, toxic
from harness.fields import Duration
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope

if TYPE_CHECKING:
    from harness.explore.space import Space
    from harness.topology import Topology


class _Towards(FaultSpec):
    from_: str = Field(alias="from")
    to: str

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.provider(("from",), self.from_)
        yield from scope.node_or_provider(("to",), self.to)

    @classmethod
    def towards(cls, rng: random.Random, space: Space) -> dict[str, Any] | None:
        """A provider and a node of another provider, the links a degradation goes on."""
        pairs = [(p, n.name) for p in space.topology.providers for n in space.topology.nodes
                 if n.provider != p and n.ports and (p in space.providers or n.provider in space.providers)]
        if not pairs:
            return None
        source, target = rng.choice(pairs)
        return {"kind": cls.model_fields["kind"].annotation.__args__[0], "from": source, "to": target}

    def narrower(self, topology: Topology) -> list[dict[str, Any]]:
        """From a provider to each node of the target provider, instead of to all of them."""
        if self.to not in topology.providers:
            return []
        fields = self.model_dump(by_alias=True, exclude={"to"})
        return [{**fields, "to": node.name} for node in topology.nodes_in(self.to) if node.ports]


@FAULTS.register
class Latency(_Towards):
    """Add ``latency`` (± ``jitter``, real time) on links from a provider to a node or provider."""

    kind: Literal["latency"]
    latency: Duration
    jitter: Duration = 0.0

    def apply(self, ctx: FaultContext) -> AppliedFault:
        return toxic(ctx.fabric, ctx.entry_id, "latency", links_towards(ctx, self.from_, self.to),
                     latency=round(self.latency * 1000), jitter=round(self.jitter * 1000))

    @classmethod
    def draw(cls, rng: random.Random, space: Space) -> dict[str, Any] | None:
        drawn = cls.towards(rng, space)
        return None if drawn is None else {**drawn, "latency": rng.choice(["200ms", "1s", "3s"])}


@FAULTS.register
class Bandwidth(_Towards):
    """Throttle links from a provider to a node or provider to ``rate_kbps``."""

    kind: Literal["bandwidth"]
    rate_kbps: int = Field(gt=0)

    def apply(self, ctx: FaultContext) -> AppliedFault:
        return toxic(ctx.fabric, ctx.entry_id, "bandwidth", links_towards(ctx, self.from_, self.to),
                     rate=self.rate_kbps)

    @classmethod
    def draw(cls, rng: random.Random, space: Space) -> dict[str, Any] | None:
        drawn = cls.towards(rng, space)
        return None if drawn is None else {**drawn, "rate_kbps": rng.choice([16, 128, 1024])}


@FAULTS.register
class ResetPeer(_Towards):
    """Reset every connection on links from a provider to a node or provider."""

    kind: Literal["reset-peer"]

    def apply(self, ctx: FaultContext) -> AppliedFault:
        return toxic(ctx.fabric, ctx.entry_id, "reset_peer", links_towards(ctx, self.from_, self.to), timeout=0)

    @classmethod
    def draw(cls, rng: random.Random, space: Space) -> dict[str, Any] | None:
        return cls.towards(rng, space)
