"""What a checker knows besides the history: the resolved run, and phases as they really happened.

Phase windows come from the history's events (fault.start/fault.end,
action.start/action.end, load.start/load.end), not from the schedule: an
invariant judges the time a fault was really in force.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from harness.history import Event, History
from harness.invariants.verdict import Window
from harness.scenario.durations import format_duration, format_offset
from harness.scenario.fields import phase_reference
from harness.scenario.invariants import MAIL
from harness.scenario.probes import LEGS
from harness.scenario.resolve import ResolvedRun
from harness.topology import Role


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

    def events(self, kind: str, target: str | None = None) -> list[Event]:
        """Events of `kind` (and `target`), in time order."""
        events = self._by_kind.get(kind, [])
        return events if target is None else [e for e in events if e.target == target]

    @cached_property
    def end_s(self) -> float:
        """When the history ends: its last event."""
        return max((e.t for e in self.history.events()), default=0.0)

    # ---- timeline entries as they happened ----------------------------------

    def started(self, entry_id: str) -> float:
        category = self._category(entry_id)
        starts = self.events(f"{category}.start", entry_id)
        if not starts and category == "load":
            starts = self.events("load.stats", entry_id)
        if not starts:
            raise Unjudgeable(f"{category} '{entry_id}' never started (no {category}.start event)")
        if category in ("fault", "load") and not starts[0].ok:
            reason = starts[0].data.get("error", "no reason recorded")
            raise Unjudgeable(f"{category} '{entry_id}' failed to start: {reason}")
        return starts[0].t

    def ended(self, entry_id: str) -> float | None:
        """When it ended, or None if it was still in force when the history ends."""
        category = self._category(entry_id)
        ends = self.events(f"{category}.end", entry_id)
        if not ends and category == "load":
            stats = self.events("load.stats", entry_id)
            return stats[-1].t if stats else None
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
            starts = self.events("fault.start")
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

    # ---- targets -------------------------------------------------------------

    def targets(self, target: str) -> list[str]:
        """The api.request targets a scenario target stands for ("legs" is every API leg)."""
        if target == LEGS:
            return [n.name for n in self.run.topology.by_role(Role.API)]
        return [target]

    def requests(self, target: str) -> list[Event]:
        """The operations a target's availability is judged on: API requests, or SMTP sends for "mail"."""
        if target == MAIL:
            return self.events("smtp.send")
        return self.events("api.request", target)

    @property
    def api_timeout_s(self) -> float | None:
        probe = self.run.scenario.probes.api
        return probe.timeout if probe else None

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
