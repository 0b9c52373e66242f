"""Seeded fault schedules, and the scenario that plays one.

A schedule is a list of timeline entries, all faults, drawn from a space: how many
(one to ``faults``), which kinds, whom they hit, how long each lasts, where it
starts (at most ``concurrent`` in force at once; two that do not overlap at least
``quiet`` apart). The same seed always draws the same schedule.

The scenario that plays it is the explored one with its faults replaced: its
topology, the architecture, its actions and loads, its probes and invariants. An
invariant that names one of the replaced faults (a phase ``during:cut``) has
nothing to judge in a drawn schedule; it is left out, and the explorer says so.
"""

from __future__ import annotations

import random
from typing import Any

from harness.durations import format_duration, format_offset
from harness.explore.space import Space
from harness.extensions import FAULTS
from harness.scenario.model import Scenario, scenario_model
from harness.scenario.references import entry_uses

PLACEMENT_TRIES = 30
Window = tuple[float, float]


def draw_schedule(space: Space, seed: int) -> list[dict[str, Any]]:
    """The fault entries of one schedule, as a scenario's timeline writes them, by start."""
    rng = random.Random(seed)
    windows: list[Window] = []
    entries: list[dict[str, Any]] = []
    for number in range(1, rng.randint(1, space.faults) + 1):
        kind = rng.choice(space.kinds)
        drawn = FAULTS[kind].draw(rng, space)
        if drawn is None:
            continue
        instant = FAULTS[kind].instant
        length = 0.0 if instant else float(round(rng.uniform(space.min_s, space.max_s)))
        start = _place(rng, windows, length, space)
        if start is None:
            continue
        windows.append((start, start + length))
        entry: dict[str, Any] = {"id": f"f{number}-{kind}", "at": format_offset(start), "fault": drawn}
        if not instant:
            entry["for"] = format_duration(length)
        entries.append(entry)
    return sorted(entries, key=lambda e: (e["at"], e["id"]))


def _place(rng: random.Random, windows: list[Window], length: float, space: Space) -> float | None:
    latest = space.length_s - length
    if latest < 0:
        return None
    for _ in range(PLACEMENT_TRIES):
        start = float(round(rng.uniform(0, latest)))
        window = (start, start + length)
        overlapping = [w for w in windows if w[0] <= window[1] and window[0] <= w[1]]
        apart = all(w[1] + space.quiet_s <= window[0] or window[1] + space.quiet_s <= w[0]
                    for w in windows if w not in overlapping)
        if len(overlapping) < space.concurrent and apart:
            return start
    return None


def schedule_scenario(base: Scenario, architecture: str, faults: list[dict[str, Any]],
                      length_s: float) -> tuple[Scenario, list[str]]:
    """The scenario that plays ``faults`` on ``architecture`` at time scale 1, and the ids of
    the invariants left out because they name a fault the schedule replaced."""
    raw = base.model_dump(mode="json", by_alias=True, exclude_none=True)
    scale = base.time_scale
    kept = []
    for entry in raw["timeline"]:
        if "fault" in entry:
            continue
        entry = {**entry, "at": format_offset(base.entry(entry["id"]).at * scale)}
        if base.entry(entry["id"]).for_ is not None:
            entry["for"] = format_duration(base.entry(entry["id"]).for_ * scale)
        kept.append(entry)
    replaced = {e.id for e in base.timeline if e.category == "fault"}
    left_out = sorted({user for user, _, used in entry_uses(base) if used in replaced
                       and user.startswith("invariant ")})
    left_out_ids = [user.split("'")[1] for user in left_out]
    chosen = raw["architectures"][architecture]
    chosen["expect"]["broken"] = [i for i in chosen["expect"]["broken"] if i not in left_out_ids]
    chosen["without"] = [e for e in chosen.get("without", []) if e not in replaced]
    raw.update(
        time_scale=1,
        # The faults' window, or longer when the scenario's own entries (a final read) come later.
        duration=format_duration(max(length_s, base.duration * scale)),
        timeline=kept + faults,
        architectures={architecture: chosen},
        invariants=[i for i in raw["invariants"] if i["id"] not in left_out_ids],
    )
    raw.pop("explore", None)
    return scenario_model().model_validate(raw), left_out_ids
