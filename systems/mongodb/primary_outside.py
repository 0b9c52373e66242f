"""Primary outside: the replica set elects a primary outside the cut provider in time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from harness.extensions import INVARIANTS
from harness.fields import Duration
from harness.invariants import InvariantSpec
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.verdict import Verdict
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope
from systems.mongodb.probe import RS_STATUS


@INVARIANTS.register
class PrimaryOutside(InvariantSpec):
    """Within ``within`` of fault ``fault`` starting, the replica set has a primary outside
    ``provider``, as the ``mongo`` probe ``probe`` sees it."""

    kind: Literal["primary_outside"]
    probe: str
    fault: str
    provider: str
    within: Duration

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.probe(("probe",), self.probe, ("mongo",))
        yield from scope.entry(("fault",), self.fault, "fault")
        yield from scope.provider(("provider",), self.provider)

    def check(self, ctx: JudgeContext) -> Verdict:
        cut_at = ctx.started(self.fault)
        statuses = [e for e in ctx.events(RS_STATUS) if e.source == self.probe and e.t >= cut_at]
        if not statuses:
            raise Unjudgeable(f"no replica-set status was recorded after '{self.fault}' started: did the probe run?")
        provider_of = {n.name: n.provider for n in ctx.run.topology.nodes}

        def outside(primary: object) -> bool:
            # Members may be reported as "name:port".
            name = str(primary).partition(":")[0]
            return primary is not None and name in provider_of and provider_of[name] != self.provider

        elected = next((e for e in statuses if outside(e.data.get("primary"))), None)
        deadline = cut_at + self.within
        primaries = sorted({str(e.data.get("primary") or "none") for e in statuses if e.t <= deadline})
        measured = {
            "fault_started_s": cut_at,
            "elected_at_s": None if elected is None else elected.t,
            "election_s": None if elected is None else elected.t - cut_at,
            "primary": None if elected is None else elected.data.get("primary"),
            "primaries_seen": primaries,
            "within_s": self.within,
        }
        since = f"'{self.fault}' started at {ctx.at(cut_at)}"
        if elected is not None and elected.t <= deadline:
            name = str(elected.data["primary"])
            return Verdict(self.id, self.kind, True,
                           f"{name} ({provider_of[name.partition(':')[0]]}) became primary "
                           f"{ctx.lasting(elected.t - cut_at)} after {since} (bound {ctx.lasting(self.within)}).",
                           measured=measured)
        fault_end = ctx.ended(self.fault)
        until = elected.t if elected is not None else (fault_end if fault_end is not None else ctx.end_s)
        later = ""
        if elected is not None:
            later = f"; {elected.data['primary']} took over only after {ctx.lasting(elected.t - cut_at)}"
        return Verdict(self.id, self.kind, False,
                       f"no primary outside {self.provider} within {ctx.lasting(self.within)} after {since} "
                       f"(primaries seen: {', '.join(primaries)}){later}.",
                       [(cut_at, max(until, cut_at))], measured)
