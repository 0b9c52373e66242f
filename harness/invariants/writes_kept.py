"""Writes kept: every write a client was told succeeded is still there at the end (Jepsen's
"acknowledged writes are not lost").

The writes are a probe's successful observations, each carrying the write's id
(an exec probe that prints ``{"id": ...}``); what is there at the end is the
output of a later operator action (an exec that prints ``{"ids": [...]}``).
Only writes acknowledged before that read started are judged: a later one
cannot be in it.
``may_lose`` excuses the writes acknowledged in a window after a fault starts,
where the system's own design says it may lose them (replication lag).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from harness.events import ACTION_END, FAULT_START
from harness.extensions import INVARIANTS
from harness.fields import Duration
from harness.history import Event
from harness.invariants import InvariantSpec
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.verdict import Verdict
from harness.invariants.windows import merge
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope, Strict

SAMPLE = 20  # ids listed in the verdict


class MayLose(Strict):
    """Writes acknowledged from when ``from`` (a fault) starts until ``for`` later may be lost
    (acknowledged: when the answer came, not when the write was sent)."""

    from_: str = Field(alias="from")
    for_: Duration = Field(alias="for")


@INVARIANTS.register
class WritesKept(InvariantSpec):
    kind: Literal["writes_kept"]
    writes: str  # the probe whose ok observations are acknowledged writes
    read: str  # the action whose output lists what is there at the end
    key: str = "id"  # the writes' field holding each write's id
    read_key: str = "ids"  # the read's field holding the ids found
    may_lose: MayLose | None = None

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.probe(("writes",), self.writes)
        yield from scope.entry(("read",), self.read, "action")
        if self.may_lose is not None:
            yield from scope.entry(("may_lose", "from"), self.may_lose.from_, "fault")

    def check(self, ctx: JudgeContext) -> Verdict:
        read_at = ctx.started(self.read)
        acknowledged = {str(e.data[self.key]): e for events in ctx.observations(self.writes).values()
                        for e in events if e.ok and self.key in e.data and _answered_at(e) < read_at}
        if not acknowledged:
            raise Unjudgeable(f"probe '{self.writes}' recorded no write with a '{self.key}' acknowledged "
                              f"before '{self.read}' started")
        found = self._found(ctx)
        excused_from, excused_until = self._excused(ctx)
        lost = sorted((e for i, e in acknowledged.items() if i not in found), key=lambda e: e.t)
        counted = [e for e in lost if not excused_from <= _answered_at(e) <= excused_until]
        excused = len(lost) - len(counted)
        measured: dict[str, Any] = {
            "acknowledged": len(acknowledged),
            "found": len(found),
            "lost": len(counted),
            "lost_but_excused": excused,
            "lost_ids": [str(e.data[self.key]) for e in counted[:SAMPLE]],
            "lost_by_target": {t: sum(1 for e in counted if e.target == t) for t in sorted({e.target for e in counted})},
        }
        excuse = (f" ({excused} lost within {ctx.lasting(self.may_lose.for_)} of '{self.may_lose.from_}' "
                  "starting, which the design allows)") if self.may_lose is not None and excused else ""
        if not counted:
            return Verdict(self.id, self.kind, True,
                           f"all {len(acknowledged) - excused} acknowledged writes were found at the end{excuse}.",
                           measured=measured)
        windows = merge([(e.t, e.t) for e in counted])
        return Verdict(self.id, self.kind, False,
                       f"{len(counted)} of {len(acknowledged)} acknowledged writes were lost, the first "
                       f"acknowledged at {ctx.at(counted[0].t)} to {counted[0].target}{excuse}.",
                       [(windows[0][0], windows[-1][1])], measured)

    def _found(self, ctx: JudgeContext) -> set[str]:
        ends = ctx.events(ACTION_END, self.read)
        if not ends or not ends[-1].ok:
            reason = ends[-1].data.get("error") if ends else "it never ran"
            raise Unjudgeable(f"the read '{self.read}' did not succeed: {reason}")
        output = ends[-1].data.get("output")
        if not isinstance(output, dict) or not isinstance(output.get(self.read_key), list):
            raise Unjudgeable(f"the read '{self.read}' printed no JSON object with a '{self.read_key}' list")
        return {str(i) for i in output[self.read_key]}

    def _excused(self, ctx: JudgeContext) -> tuple[float, float]:
        """From when the fault began to be applied (its start event comes once it is in force)."""
        if self.may_lose is None:
            return (1.0, 0.0)  # an empty window
        start = ctx.started(self.may_lose.from_)
        applying = start - float(ctx.events(FAULT_START, self.may_lose.from_)[0].data.get("apply_ms") or 0) / 1000
        return (applying, start + self.may_lose.for_)


def _answered_at(event: Event) -> float:
    """When the acknowledgement came: the write's start plus how long it took."""
    return event.t + (event.latency_ms or 0.0) / 1000
