"""Action succeeds: an operator action ends without an error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from harness.events import ACTION_END
from harness.extensions import INVARIANTS
from harness.invariants import InvariantSpec
from harness.invariants.context import JudgeContext
from harness.invariants.verdict import Verdict
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope


@INVARIANTS.register
class ActionSucceeds(InvariantSpec):
    """Operator action ``action`` ends without an error."""

    kind: Literal["action_succeeds"]
    action: str

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.entry(("action",), self.action, "action")

    def check(self, ctx: JudgeContext) -> Verdict:
        started = ctx.started(self.action)
        ends = ctx.events(ACTION_END, self.action)
        if not ends:
            return Verdict(self.id, self.kind, False,
                           f"'{self.action}' started at {ctx.at(started)} and never finished.",
                           [(started, ctx.end_s)], {"started_s": started, "error": "never finished"})
        end = ends[-1]
        error = end.data.get("error")
        measured = {"started_s": started, "ended_s": end.t, "error": error}
        if error is None:
            return Verdict(self.id, self.kind, True,
                           f"'{self.action}' succeeded at {ctx.at(end.t)} after {ctx.lasting(end.t - started)}.",
                           measured=measured)
        return Verdict(self.id, self.kind, False, f"'{self.action}' failed at {ctx.at(end.t)}: {error}.",
                       [(started, end.t)], measured)
