"""Recovery: after a fault or action, the target succeeds again within a bound and stays up.

"Stays up" is judged until the next disturbance (a fault starting, an operator
action starting, a node restarting) or the end of the history: a blip caused by
a later, unrelated restart does not undo a recovery that already happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from harness.events import ACTION_START, FAULT_START, NODE_RESTART
from harness.extensions import INVARIANTS
from harness.fields import Duration
from harness.history import Event
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.observed import TargetInvariant
from harness.invariants.verdict import Verdict, Window
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope


@INVARIANTS.register
class Recovery(TargetInvariant):
    """After ``after`` (a fault or action) ends, or starts with ``from: start``, ``target``
    succeeds again within ``within`` and stays up. ``without_restart``: a node restart
    between that moment and recovery breaks it."""

    kind: Literal["recovery"]
    after: str
    from_: Literal["start", "end"] = Field(default="end", alias="from")
    within: Duration
    without_restart: bool = True

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from super().problems(scope)
        yield from scope.entry(("after",), self.after, "fault", "action")

    def check(self, ctx: JudgeContext) -> Verdict:
        if self.from_ == "start":
            anchor: float | None = ctx.started(self.after)
        else:
            anchor = ctx.ended(self.after)
            if anchor is None:
                raise Unjudgeable(f"'{self.after}' never ended, so there is nothing to recover from")
        disturbances = sorted(e.t for kind in (FAULT_START, ACTION_START, NODE_RESTART)
                              for e in ctx.events(kind) if e.t > anchor)
        recovered: dict[str, float | None] = {}
        for name, events in ctx.observations(self.target).items():
            after = [e for e in events if e.t >= anchor]
            if not after:
                raise Unjudgeable(f"nothing was observed of '{name}' after '{self.after}' {self._moment}")
            recovered[name] = _stable_recovery(after, disturbances)
        never = [t for t, at in recovered.items() if at is None]
        last = never[0] if never else max(recovered, key=lambda t: recovered[t] or 0.0)
        recovered_at = recovered[last]
        until = ctx.end_s if recovered_at is None else recovered_at
        restarts = [e for e in ctx.events(NODE_RESTART) if anchor < e.t <= until]
        restarted = sorted({e.target for e in restarts})
        took = None if recovered_at is None else recovered_at - anchor
        measured = {
            "anchor_s": anchor,
            "recovered_at_s": recovered,
            "recovery_s": took,
            "restarts_before_recovery": restarted,
            "within_s": self.within,
        }
        in_time = took is not None and took <= self.within
        needed_restart = bool(restarted) and self.without_restart
        held = in_time and not needed_restart
        windows: list[Window] = [] if held else [(anchor, until)]
        since = f"after '{self.after}' {self._moment} at {ctx.at(anchor)}"
        if took is None:
            summary = f"{last} never answered steadily again {since} (watched {ctx.lasting(ctx.end_s - anchor)})"
        else:
            summary = f"{last} answered again {ctx.lasting(took)} {since} (bound {ctx.lasting(self.within)})"
        if restarted:
            summary += f", after restarts of {', '.join(restarted)} from {ctx.at(restarts[0].t)}"
            summary += "; it needed a restart to recover" if self.without_restart else ""
        else:
            summary += ", without any restart"
        return Verdict(self.id, self.kind, held, summary + ".", windows, measured)

    @property
    def _moment(self) -> str:
        return "started" if self.from_ == "start" else "ended"


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
