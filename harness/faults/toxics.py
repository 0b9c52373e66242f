"""Degraded links: latency, a bandwidth cap, connections reset; each from a provider to a node or provider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from harness.extensions import FAULTS
from harness.faults import AppliedFault, FaultContext, FaultSpec, links_towards, toxic
from harness.fields import Duration
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope


class _Towards(FaultSpec):
    from_: str = Field(alias="from")
    to: str

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.provider(("from",), self.from_)
        yield from scope.node_or_provider(("to",), self.to)


@FAULTS.register
class Latency(_Towards):
    """Add ``latency`` (± ``jitter``, real time) on links from a provider to a node or provider."""

    kind: Literal["latency"]
    latency: Duration
    jitter: Duration = 0.0

    def apply(self, ctx: FaultContext) -> AppliedFault:
        return toxic(ctx.fabric, ctx.entry_id, "latency", links_towards(ctx, self.from_, self.to),
                     latency=round(self.latency * 1000), jitter=round(self.jitter * 1000))


@FAULTS.register
class Bandwidth(_Towards):
    """Throttle links from a provider to a node or provider to ``rate_kbps``."""

    kind: Literal["bandwidth"]
    rate_kbps: int = Field(gt=0)

    def apply(self, ctx: FaultContext) -> AppliedFault:
        return toxic(ctx.fabric, ctx.entry_id, "bandwidth", links_towards(ctx, self.from_, self.to),
                     rate=self.rate_kbps)


@FAULTS.register
class ResetPeer(_Towards):
    """Reset every connection on links from a provider to a node or provider."""

    kind: Literal["reset-peer"]

    def apply(self, ctx: FaultContext) -> AppliedFault:
        return toxic(ctx.fabric, ctx.entry_id, "reset_peer", links_towards(ctx, self.from_, self.to), timeout=0)
