"""Action succeeds: an operator action ends without an error."""

from __future__ import annotations

from harness.invariants.context import JudgeContext
from harness.invariants.verdict import Verdict
from harness.scenario.invariants import ActionSucceeds


def check_action_succeeds(inv: ActionSucceeds, ctx: JudgeContext) -> Verdict:
    started = ctx.started(inv.action)
    ends = ctx.events("action.end", inv.action)
    if not ends:
        return Verdict(inv.id, inv.kind, False,
                       f"'{inv.action}' started at {ctx.at(started)} and never finished.",
                       [(started, ctx.end_s)], {"started_s": started, "error": "never finished"})
    end = ends[-1]
    error = end.data.get("error")
    measured = {"started_s": started, "ended_s": end.t, "error": error}
    if error is None:
        return Verdict(inv.id, inv.kind, True,
                       f"'{inv.action}' succeeded at {ctx.at(end.t)} after {ctx.lasting(end.t - started)}.",
                       measured=measured)
    return Verdict(inv.id, inv.kind, False, f"'{inv.action}' failed at {ctx.at(end.t)}: {error}.",
                   [(started, end.t)], measured)
