"""A provider cut off from the others: an upstream outage, or a router failing inside it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from harness.extensions import FAULTS
from harness.fabric import CutMode
from harness.faults import AppliedFault, FaultContext, FaultSpec, cut
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope


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


@FAULTS.register
class RouterFailure(ProviderOutage):
    """A router inside ``provider`` fails: the same links as an outage, nodes inside keep talking."""

    kind: Literal["router-failure"]  # type: ignore[assignment]
