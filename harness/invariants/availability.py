"""Availability: at least a share of a probe's observations in a phase succeed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from harness.extensions import INVARIANTS
from harness.fields import Duration, Phase
from harness.invariants.context import JudgeContext
from harness.invariants.observed import (
    TargetInvariant,
    names,
    phase_observations,
    where,
)
from harness.invariants.verdict import Verdict, Window
from harness.invariants.windows import bad_runs, longest, merge
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope


@INVARIANTS.register
class Availability(TargetInvariant):
    """At least ``min`` of the observations of ``target`` in ``phase`` succeed, not counting the
    phase's first ``settle`` (real time, never scaled: e.g. the election a failover needs,
    which takes the same seconds whatever the time scale)."""

    kind: Literal["availability"]
    min: float = Field(ge=0, le=1)
    phase: Phase = "all"
    settle: Duration = 0.0

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from super().problems(scope)
        yield from self.phase_problems(scope, self.phase)

    def check(self, ctx: JudgeContext) -> Verdict:
        window, observed = phase_observations(ctx, self.target, self.phase, self.settle)
        ratios = {name: sum(e.ok for e in events) / len(events) for name, events in observed.items()}
        counts = {name: len(events) for name, events in observed.items()}
        windows: dict[str, list[Window]] = {
            name: bad_runs(events, lambda e: not e.ok, window[1]) for name, events in observed.items()}
        failing = [t for t in ratios if ratios[t] < self.min]
        worst = min(ratios, key=lambda t: ratios[t])
        during = where(ctx, self.phase, self.settle)
        measured = {"ok_ratio": ratios, "requests": counts, "min": self.min, "phase_window": list(window)}
        if not failing:
            return Verdict(self.id, self.kind, True,
                           f"{names(ratios)} answered at least {self.min:.0%} {during} "
                           f"(lowest: {worst} {ratios[worst]:.1%} of {counts[worst]}).",
                           measured=measured)
        broken = merge([w for t in failing for w in windows[t]])
        outage = longest(broken)
        summary = (f"{worst} answered only {ratios[worst]:.1%} of {counts[worst]} requests {during}, "
                   f"under the {self.min:.0%} minimum")
        if len(failing) > 1:
            summary += f" ({len(failing)} of {len(ratios)} targets under it)"
        if outage is not None:
            summary += f"; longest outage {ctx.lasting(outage[1] - outage[0])} from {ctx.at(outage[0])}"
        return Verdict(self.id, self.kind, False, summary + ".", broken, measured)
