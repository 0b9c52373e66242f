"""Recovery: after a fault or action ends, the target answers again within a bound and stays up.

"Stays up" is judged until the next disturbance (a fault starting, an operator
action starting, a node restarting) or the end of the history: a blip caused by
a later, unrelated restart does not undo a recovery that already happened.
"""

from __future__ import annotations

from harness.history import Event
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.verdict import Verdict, Window
from harness.scenario.invariants import Recovery


def check_recovery(inv: Recovery, ctx: JudgeContext) -> Verdict:
    anchor = ctx.ended(inv.after)
    if anchor is None:
        raise Unjudgeable(f"'{inv.after}' never ended, so there is nothing to recover from")
    disturbances = sorted(
        e.t for kind in ("fault.start", "action.start", "node.restart") for e in ctx.events(kind) if e.t > anchor
    )
    recovered: dict[str, float | None] = {}
    for target in ctx.targets(inv.target):
        events = [e for e in ctx.requests(target) if e.t >= anchor]
        if not events:
            raise Unjudgeable(f"no requests to '{target}' were recorded after '{inv.after}' ended")
        recovered[target] = _stable_recovery(events, disturbances)
    never = [t for t, at in recovered.items() if at is None]
    last = never[0] if never else max(recovered, key=lambda t: recovered[t] or 0.0)
    recovered_at = recovered[last]
    until = ctx.end_s if recovered_at is None else recovered_at
    restarts = [e for e in ctx.events("node.restart") if anchor < e.t <= until]
    restarted = sorted({e.target for e in restarts})
    took = None if recovered_at is None else recovered_at - anchor
    measured = {
        "anchor_s": anchor,
        "recovered_at_s": recovered,
        "recovery_s": took,
        "restarts_before_recovery": restarted,
        "within_s": inv.within,
    }
    in_time = took is not None and took <= inv.within
    needed_restart = bool(restarted) and inv.without_restart
    held = in_time and not needed_restart
    windows: list[Window] = [] if held else [(anchor, until)]
    since = f"after '{inv.after}' ended at {ctx.at(anchor)}"
    if took is None:
        summary = f"{last} never answered steadily again {since} (watched {ctx.lasting(ctx.end_s - anchor)})"
    else:
        summary = f"{last} answered again {ctx.lasting(took)} {since} (bound {ctx.lasting(inv.within)})"
    if restarted:
        summary += f", after restarts of {', '.join(restarted)} from {ctx.at(restarts[0].t)}"
        summary += "; it needed a restart to recover" if inv.without_restart else ""
    else:
        summary += ", without any restart"
    return Verdict(inv.id, inv.kind, held, summary + ".", windows, measured)


def _stable_recovery(events: list[Event], disturbances: list[float]) -> float | None:
    """The first ok answer after which no answer fails until the next disturbance (or the end)."""
    candidate: float | None = None
    for event in events:
        if event.ok:
            if candidate is None:
                candidate = event.t
        elif candidate is not None:
            quiet_until = next((d for d in disturbances if d > candidate), float("inf"))
            if event.t <= quiet_until:
                candidate = None
    return candidate
