"""Everything one run leaves behind, and the timeline as it was really executed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from harness.events import ENDS, STARTS
from harness.history import History
from harness.invariants.expectation import Outcome
from harness.invariants.verdict import Verdict
from harness.scenario.resolve import ResolvedRun


@dataclass(frozen=True)
class RunMeta:
    run_id: str
    scenario_file: str
    architecture: str
    seed: int
    profile: str  # how the stack was built, e.g. "local-images"
    database_tier: str  # "mongod 7.0" or "emulator": never let the emulator pass for MongoDB
    time_scale: float
    started_at: str  # ISO 8601, wall clock
    # What the stack's set-ups decided for this machine (a calibrated leg's CPU share), by name.
    notes: dict[str, Any] = field(default_factory=dict)
    # Why and when the run stopped before its end (Ctrl-C, SIGTERM, a harness error), if it did.
    interrupted: str | None = None

    @property
    def emulated(self) -> bool:
        return "emulat" in self.database_tier.lower()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RunMeta:
        return cls(**raw)


@dataclass(frozen=True)
class ExecutedEntry:
    """A timeline entry as it happened: when it was due, when it really started, how long applying took."""

    id: str
    category: str  # fault, action or load
    what: str  # its kind, e.g. "router-failure"
    scheduled_s: float
    scheduled_stop_s: float | None
    started_s: float | None  # None: it never started
    ended_s: float | None  # None: instant, or still in force when the history ends
    apply_ms: float | None
    error: str | None

    @property
    def lag_s(self) -> float | None:
        return None if self.started_s is None else self.started_s - self.scheduled_s

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ExecutedEntry:
        return cls(**raw)


def executed_timeline(run: ResolvedRun, history: History) -> list[ExecutedEntry]:
    """Read from the history's fault.*, action.* and load.* events, matched to the schedule."""
    entries = []
    for item in run.schedule:
        category = item.entry.category
        starts = history.events(STARTS[category], item.id)
        ends = history.events(ENDS[category], item.id)
        start, end = (starts[0] if starts else None), (ends[-1] if ends else None)
        error = None
        if end is not None and end.data.get("error"):
            error = str(end.data["error"])
        elif start is not None and not start.ok:
            error = str(start.data.get("error", "failed to start"))
        apply_ms = start.data.get("apply_ms") if start is not None else None
        entries.append(ExecutedEntry(
            id=item.id,
            category=category,
            what=item.entry.what,
            scheduled_s=item.start_s,
            scheduled_stop_s=item.stop_s,
            started_s=None if start is None else start.t,
            ended_s=None if end is None else end.t,
            apply_ms=None if apply_ms is None else float(apply_ms),
            error=error,
        ))
    return entries


@dataclass(frozen=True)
class RunRecord:
    meta: RunMeta
    run: ResolvedRun
    history: History
    verdicts: list[Verdict]
    outcome: Outcome
    timeline: list[ExecutedEntry]

    @classmethod
    def of(cls, meta: RunMeta, run: ResolvedRun, history: History, verdicts: list[Verdict],
           outcome: Outcome) -> RunRecord:
        """A record whose executed timeline is read from the history."""
        return cls(meta, run, history, list(verdicts), outcome, executed_timeline(run, history))

    @cached_property
    def end_s(self) -> float:
        """When the history ends (the planned run end for an empty history)."""
        return max((e.t for e in self.history.events()), default=self.run.run_end_s)
