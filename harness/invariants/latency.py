"""Latency bound: a percentile of a probe's observation latency in a phase stays under a bound."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from harness.extensions import INVARIANTS
from harness.fields import Duration, Phase
from harness.history import Event
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.observed import TargetInvariant, names, phase_observations
from harness.invariants.verdict import Verdict, Window
from harness.invariants.windows import bad_runs, merge, percentile
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope


def observed_latency_ms(event: Event, timeout_s: float | None) -> float | None:
    """An observation's latency, where a timed-out one counts as the probe's timeout."""
    if event.data.get("timed_out") and timeout_s is not None:
        return timeout_s * 1000
    return event.latency_ms


@INVARIANTS.register
class LatencyBound(TargetInvariant):
    """The ``percentile`` of latency to ``target`` in ``phase`` stays under ``max``.

    Timed-out requests count as the probe's timeout."""

    kind: Literal["latency"]
    percentile: float = Field(default=99, gt=0, le=100)
    max: Duration
    phase: Phase = "all"

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from super().problems(scope)
        yield from self.phase_problems(scope, self.phase)

    def check(self, ctx: JudgeContext) -> Verdict:
        limit_ms = self.max * 1000
        timeout_s = ctx.timeout_of(self.target)

        def latency_ms(event: Event) -> float | None:
            return observed_latency_ms(event, timeout_s)

        window, observed = phase_observations(ctx, self.target, self.phase)
        values_of: dict[str, float] = {}
        medians: dict[str, float] = {}
        timeouts: dict[str, int] = {}
        windows: dict[str, list[Window]] = {}
        for name, events in observed.items():
            timed = [e for e in events if latency_ms(e) is not None]
            if not timed:
                raise Unjudgeable(f"observations of '{name}' carry no latency {ctx.describe_phase(self.phase)}")
            values = [v for v in map(latency_ms, timed) if v is not None]
            values_of[name] = percentile(values, self.percentile)
            medians[name] = percentile(values, 50)
            timeouts[name] = sum(bool(e.data.get("timed_out")) for e in timed)
            windows[name] = bad_runs(timed, lambda e: (latency_ms(e) or 0.0) > limit_ms, window[1])
        label = f"p{self.percentile:g}"
        worst = max(values_of, key=lambda t: values_of[t])
        failing = [t for t in values_of if values_of[t] > limit_ms]
        during = ctx.describe_phase(self.phase)
        measured = {label: values_of, "p50": medians, "timeouts": timeouts, "max_ms": limit_ms}
        if not failing:
            return Verdict(self.id, self.kind, True,
                           f"{label} latency of {names(values_of)} stayed under {limit_ms:.0f} ms {during} "
                           f"(highest: {worst} {values_of[worst]:.0f} ms).",
                           measured=measured)
        summary = f"{label} latency of {worst} was {values_of[worst]:.0f} ms {during}, over the {limit_ms:.0f} ms bound"
        if timeouts[worst]:
            summary += f" ({timeouts[worst]} of its requests timed out)"
        if len(failing) > 1:
            summary += f"; {len(failing)} of {len(values_of)} targets over it"
        return Verdict(self.id, self.kind, False, summary + ".",
                       merge([w for t in failing for w in windows[t]]), measured)
