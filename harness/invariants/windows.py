"""Time windows and percentiles over event sequences."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from harness.history import Event
from harness.invariants.verdict import Window


def bad_runs(events: Sequence[Event], is_bad: Callable[[Event], bool], end: float) -> list[Window]:
    """Maximal runs of consecutive bad events, each from its first bad event to the next good one.

    A run still going at the last event ends at `end` (the phase's end).
    """
    windows: list[Window] = []
    started: float | None = None
    for event in events:
        if is_bad(event):
            if started is None:
                started = event.t
        elif started is not None:
            windows.append((started, event.t))
            started = None
    if started is not None:
        windows.append((started, max(started, end)))
    return windows


def merge(windows: Sequence[Window]) -> list[Window]:
    merged: list[Window] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def longest(windows: Sequence[Window]) -> Window | None:
    if not windows:
        return None
    return max(windows, key=lambda w: w[1] - w[0])


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value at least `pct` percent of values are under or equal to."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def within(events: Sequence[Event], window: Window) -> list[Event]:
    start, end = window
    return [e for e in events if start <= e.t <= end]
