"""Invariants: what must stay true, judged from the history after the run; one kind per module.

An invariant kind is a schema (``InvariantSpec``: an ``id`` and its bounds) with
a ``check`` that is a pure function of the history. Bounds (``within``, ``max``,
``grace``) are real time and never scaled: a 15-second recovery bound means 15
seconds whatever the time scale. A check that cannot answer raises Unjudgeable,
and the verdict says "not judged" with the reason rather than guessing.
"""

from __future__ import annotations

from collections.abc import Iterator

from harness.fields import Identifier, phase_reference
from harness.history import History
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.verdict import Verdict, Window
from harness.scenario.errors import Problem
from harness.scenario.resolve import ResolvedRun
from harness.scenario.spec import Scope, Spec

__all__ = ["InvariantSpec", "JudgeContext", "Unjudgeable", "Verdict", "Window", "check_invariants"]


class InvariantSpec(Spec):
    id: Identifier

    def check(self, ctx: JudgeContext) -> Verdict:
        raise NotImplementedError

    def phase_problems(self, scope: Scope, phase: str) -> Iterator[Problem]:
        """A phase's reference: during:/after: name a fault or load of the timeline."""
        _, ref = phase_reference(phase)
        if ref is not None:
            yield from scope.entry(("phase",), ref, "fault", "load")


def check_invariants(run: ResolvedRun, history: History) -> list[Verdict]:
    """Judge `history` against every invariant of the run's scenario, in declaration order."""
    ctx = JudgeContext(run, history)
    verdicts = []
    for invariant in run.scenario.invariants:
        try:
            verdicts.append(invariant.check(ctx))
        except Unjudgeable as reason:
            verdicts.append(Verdict.unjudged(invariant.id, invariant.kind, str(reason)))
    return verdicts
