"""What a checker knows besides the history: the resolved run, and phases as they really happened.

Phase windows come from the history's events (fault.start/fault.end,
action.start/action.end, load.start/load.end), not from the schedule: an
invariant judges the time a fault was really in force.

An invariant's ``target`` names a probe by id: every target that probe watches
is judged on its own ("legs": each API leg). ``probe/target`` narrows it to one.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from harness.durations import format_duration, format_offset
from harness.events import ENDS, STARTS, EventKind
from harness.fields import phase_reference
from harness.history import Event, History
from harness.invariants.verdict import Window
from harness.scenario.resolve import ResolvedRun


class Unjudgeable(Exception):
    """The history cannot answer the question; the verdict says why instead of guessing."""


class JudgeContext:
    def __init__(self, run: ResolvedRun, history: History) -> None:
        self.run = run
        self.history = history

    @cached_property
    def _by_kind(self) -> dict[str, list[Event]]:
        grouped: dict[str, list[Event]] = defaultdict(list)
        for event in self.history.events():
            grouped[event.kind].append(event)
        return grouped

    def events(self, kind: EventKind, target: str | None = None) -> list[Event]:
        """Events of `kind` (and `target`), in time order."""
        events = self._by_kind.get(kind.name, [])
        return events if target is None else [e for e in events if e.target == target]

    @cached_property
    def end_s(self) -> float:
        """When the history ends: its last event."""
        return max((e.t for e in self.history.events()), default=0.0)

    # ---- timeline entries as they happened ----------------------------------

    def started(self, entry_id: str) -> float:
        category = self._category(entry_id)
        starts = self.events(STARTS[category], entry_id)
        if not starts:
            raise Unjudgeable(f"{category} '{entry_id}' never started (no {category}.start event)")
        if category in ("fault", "load") and not starts[0].ok:
            reason = starts[0].data.get("error", "no reason recorded")
            raise Unjudgeable(f"{category} '{entry_id}' failed to start: {reason}")
        return starts[0].t

    def ended(self, entry_id: str) -> float | None:
        """When it ended, or None if it was still in force when the history ends."""
        ends = self.events(ENDS[self._category(entry_id)], entry_id)
        return ends[-1].t if ends else None

    def _category(self, entry_id: str) -> str:
        try:
            return self.run.scenario.entry(entry_id).category
        except KeyError as exc:
            raise Unjudgeable(str(exc)) from None

    def phase(self, phase: str) -> Window:
        name, ref = phase_reference(phase)
        if name == "all":
            return (0.0, self.end_s)
        if name == "before":
            starts = self.events(STARTS["fault"])
            if not starts:
                raise Unjudgeable("phase 'before' needs a fault, and no fault started")
            return (0.0, starts[0].t)
        assert ref is not None  # the phase pattern guarantees it
        start = self.started(ref)
        end = self.ended(ref)
        if name == "during":
            return (start, self.end_s if end is None else end)
        if end is None:
            raise Unjudgeable(f"phase '{phase}' never began: '{ref}' did not end")
        return (end, self.end_s)

    # ---- probe targets -----------------------------------------------------------

    def observations(self, target: str) -> dict[str, list[Event]]:
        """Each target the probe ``target`` watches (``probe/name``: one of them), with the
        events it recorded of it, in time order."""
        probe_id, _, only = target.partition("/")
        kind = getattr(self.run.scenario.observer(probe_id), "observes", None)
        grouped: dict[str, list[Event]] = defaultdict(list)
        for event in self.history.events(kind):
            if event.source == probe_id and (not only or event.target == only):
                grouped[event.target].append(event)
        if not grouped:
            raise Unjudgeable(f"probe '{probe_id}' recorded nothing" + (f" of '{only}'" if only else "")
                              + ": did it run?")
        return dict(sorted(grouped.items()))

    def timeout_of(self, target: str) -> float | None:
        """The probe's timeout: a timed-out observation counts as that long."""
        observer = self.run.scenario.observer(target.partition("/")[0])
        return observer.judged_timeout() if hasattr(observer, "judged_timeout") else None

    # ---- clocks --------------------------------------------------------------

    def at(self, t: float) -> str:
        """A moment on both clocks: "t+3m12s (19.2 s)" (incident time, then real seconds)."""
        return f"{format_offset(round(self.run.incident_time(t)))} ({t:.1f} s)"

    @staticmethod
    def lasting(seconds: float) -> str:
        """A span in real time; bounds are real time too."""
        return f"{seconds:.1f} s" if seconds < 120 else f"{seconds:.0f} s ({format_duration(round(seconds))})"

    def describe_phase(self, phase: str) -> str:
        name, ref = phase_reference(phase)
        return {"all": "over the whole run", "before": "before the first fault"}.get(name) or f"{name} {ref}"
