"""What request-like invariants share: a target's observations within a phase, and the target's schema."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from harness.history import Event
from harness.invariants import InvariantSpec
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.verdict import Window
from harness.invariants.windows import within
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope


class TargetInvariant(InvariantSpec):
    """Judges a probe's observations: ``target`` is the probe's id (each of its targets on its
    own), or ``probe/target`` for one of them. A load that observes its own traffic (a flood's
    legitimate senders) can be named the same way."""

    target: str

    def problems(self, scope: Scope) -> Iterator[Problem]:
        probe_id, _, only = self.target.partition("/")
        problems = scope.observer(("target",), probe_id)
        yield from problems
        if problems or not only:
            return
        watched = scope.target_nodes(getattr(scope.scenario.observer(probe_id), "targets", []))
        if only not in watched:
            yield Problem(("target",), f"'{probe_id}' does not watch '{only}'",
                          f"it watches: {', '.join(watched) or 'no named targets'}")


def phase_observations(ctx: JudgeContext, target: str, phase: str,
                       settle_s: float = 0.0) -> tuple[Window, dict[str, list[Event]]]:
    """The phase's window (after its first ``settle_s``) and each target's events in it."""
    start, end = ctx.phase(phase)
    window = (min(start + settle_s, end), end)
    observed = {name: within(events, window) for name, events in ctx.observations(target).items()}
    for name, events in observed.items():
        if not events:
            raise Unjudgeable(f"nothing was observed of '{name}' {where(ctx, phase, settle_s)}: "
                              "did the probe run, and is the settle shorter than the phase?")
    return window, observed


def where(ctx: JudgeContext, phase: str, settle_s: float) -> str:
    text = ctx.describe_phase(phase)
    return f"{text} after its first {ctx.lasting(settle_s)}" if settle_s else text


def names(per_target: Mapping[str, object]) -> str:
    listed = list(per_target)
    return listed[0] if len(listed) == 1 else "every target (" + ", ".join(listed) + ")"
