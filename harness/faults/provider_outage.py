"""A provider cut off from the others: an upstream outage, or a router failing inside it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from harness.extensions import FAULTS
from harness.fabric import CutMode
from harness.faults import AppliedFault, FaultContext, FaultSpec, cut
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope

if TYPE_CHECKING:
    from harness.explore.space import Space
    from harness.topology import Topology


@FAULTS.register
class ProviderOutage(FaultSpec):
    """Every link between ``provider`` and the other providers goes down.

    Providers in ``except`` keep their links (a vantage point such as the 2018
    office). ``blackhole``: packets vanish (connections hang); ``refuse``:
    connections are refused at once.
    """

    kind: Literal["provider-outage"]
    provider: str
    except_: list[str] = Field(default_factory=list, alias="except")
    mode: Literal["blackhole", "refuse"] = "blackhole"

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.provider(("provider",), self.provider)
        for index, vantage in enumerate(self.except_):
            yield from scope.provider(("except", index), vantage)
            if vantage == self.provider:
                yield Problem(("except", index), f"'{vantage}' is the provider being cut",
                              "list only the other providers that keep their links")

    def apply(self, ctx: FaultContext) -> AppliedFault:
        links = ctx.fabric.links_of_provider(self.provider, spare=self.except_)
        return cut(ctx.fabric, links, CutMode(self.mode))

    @classmethod
    def draw(cls, rng: random.Random, space: Space) -> dict[str, Any] | None:
        return {"kind": cls.model_fields["kind"].annotation.__args__[0], "provider": rng.choice(space.providers),
                "mode": rng.choice(["blackhole", "refuse"])}

    def narrower(self, topology: Topology) -> list[dict[str, Any]]:
        """Refused rather than blackholed; then the provider cut from one other provider only."""
        softer = [{"kind": self.kind, "provider": self.provider, "mode": "refuse"}] if self.mode == "blackhole" else []
        others = [p for p in topology.providers if p != self.provider and p not in self.except_]
        return softer + [{"kind": "partition", "between": [self.provider, other]} for other in others]


@FAULTS.register
class RouterFailure(ProviderOutage):
    """A router inside ``provider`` fails: the same links as an outage, nodes inside keep talking."""

    kind: Literal["router-failure"]  # type: ignore[assignment]
