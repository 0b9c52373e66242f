"""A scenario resolved for one run: which architecture, and when each entry fires in real seconds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError
from harness.scenario.model import Expectation, Scenario
from harness.scenario.timeline import TimelineEntry
from harness.topology import Topology


@dataclass(frozen=True)
class ScheduledEntry:
    """A timeline entry at its real offsets: incident offsets times the time scale."""

    entry: TimelineEntry
    start_s: float
    stop_s: float | None  # None for an action or instant fault; the timeline's end when no `for:`

    @property
    def id(self) -> str:
        return self.entry.id


@dataclass(frozen=True)
class ResolvedRun:
    scenario: Scenario
    architecture: str
    topology: Topology
    settings: dict[str, Any]
    expect: Expectation
    time_scale: float
    schedule: list[ScheduledEntry]  # by start time
    timeline_end_s: float  # real seconds: duration x time scale
    grace_s: float  # real seconds after the timeline, unscaled

    @property
    def run_end_s(self) -> float:
        return self.timeline_end_s + self.grace_s

    def scheduled(self, entry_id: str) -> ScheduledEntry:
        for item in self.schedule:
            if item.id == entry_id:
                return item
        raise KeyError(f"no timeline entry '{entry_id}' in scenario '{self.scenario.name}'")

    def incident_time(self, real_s: float) -> float:
        """The incident clock reading at a real offset (grace stretches it linearly too)."""
        return real_s / self.time_scale


def resolve(scenario: Scenario, architecture: str, time_scale: float | None = None) -> ResolvedRun:
    """Resolve `scenario` for `architecture`; `time_scale` (the CLI's) overrides the file's."""
    scale = scenario.time_scale if time_scale is None else time_scale
    if not scale > 0:
        raise HarnessError(f"the time scale must be positive, got {scale:g}",
                           "1 replays in real time, 0.05 twenty times faster")
    chosen = scenario.architecture(architecture)
    end = scenario.duration * scale
    schedule = sorted(
        (_schedule(entry, scale, end) for entry in scenario.timeline if entry.id not in chosen.without),
        key=lambda item: (item.start_s, item.id),
    )
    return ResolvedRun(
        scenario=scenario,
        architecture=architecture,
        topology=scenario.topology_for(architecture),
        settings=dict(chosen.settings),
        expect=chosen.expect,
        time_scale=scale,
        schedule=schedule,
        timeline_end_s=end,
        grace_s=scenario.grace,
    )


def _schedule(entry: TimelineEntry, scale: float, timeline_end_s: float) -> ScheduledEntry:
    start = entry.at * scale
    if not entry.lasts:
        return ScheduledEntry(entry, start, None)
    stop = timeline_end_s if entry.for_ is None else start + entry.for_ * scale
    return ScheduledEntry(entry, start, stop)
