"""Shrinking a failing schedule: fewer faults, shorter ones, narrower ones, while it still fails.

Containers are not deterministic, so "still fails" is a vote: a candidate runs up to
``reruns`` times and fails when at least a majority of them fail (2 of 3), stopping as
soon as the vote is decided. The steps, after Zeller's delta debugging:

1. drop entries: ddmin over the faults, down to a set where removing any one passes;
2. shorten each remaining fault: halve its ``for:`` while it still fails (not under the
   explore section's shortest duration);
3. narrow each: try the faults its kind names as cutting less (a provider's outage as a
   partition from one other provider, both ways as one way, to a provider as to one of its
   nodes, blackhole as refuse), taking the first that still fails, again and again.

Every candidate tried, with its vote, goes to ``on_step``; ``max_tries`` and ``out_of_time``
bound the runs (a candidate not tried counts as passing: the schedule so far stays).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.durations import format_duration, parse_duration
from harness.extensions import FAULTS
from harness.topology import Topology

Entries = list[dict[str, Any]]


@dataclass(frozen=True)
class Step:
    what: str  # what this candidate changed
    entries: int
    failures: int
    runs: int

    votes: int  # the runs a vote may take

    @property
    def failing(self) -> bool:
        return self.failures > self.votes // 2


@dataclass
class Shrinker:
    """``run_once(entries)`` plays a schedule once and says whether it failed."""

    run_once: Callable[[Entries], bool]
    topology: Topology
    min_s: float
    reruns: int = 3
    max_tries: int = 40
    on_step: Callable[[Step], None] = lambda step: None
    out_of_time: Callable[[], bool] = lambda: False
    steps: list[Step] = field(default_factory=list)
    _votes: dict[str, bool] = field(default_factory=dict)

    def shrink(self, entries: Entries) -> Entries:
        current = self._ddmin(entries)
        current = self._shorten(current)
        return self._narrow(current)

    @property
    def exhausted(self) -> bool:
        return sum(step.runs for step in self.steps) >= self.max_tries

    def fails(self, entries: Entries, what: str) -> bool:
        key = repr(entries)
        if key in self._votes:
            return self._votes[key]
        if self.exhausted or self.out_of_time():
            return False
        failures = runs = 0
        needed = self.reruns // 2 + 1
        # Stop once the vote is decided: a majority failed, or too few runs are left for one.
        while failures < needed and failures + self.reruns - runs >= needed:
            runs += 1
            failures += self.run_once(entries)
        step = Step(what, len(entries), failures, runs, self.reruns)
        self.steps.append(step)
        self.on_step(step)
        self._votes[key] = step.failing
        return step.failing

    def _ddmin(self, entries: Entries) -> Entries:
        items, chunks = list(entries), 2
        while len(items) >= 2:
            size = -(-len(items) // chunks)
            parts = [items[i:i + size] for i in range(0, len(items), size)]
            reduced = False
            for index, part in enumerate(parts):
                rest = [e for j, p in enumerate(parts) if j != index for e in p]
                label = ", ".join(e["id"] for e in part)
                for candidate, name in ((part, "only"), (rest, "without")):
                    if candidate and self.fails(candidate, f"{name} {label}"):
                        items, chunks, reduced = candidate, max(chunks - 1, 2), True
                        break
                if reduced:
                    break
            if not reduced:
                if chunks >= len(items):
                    break
                chunks = min(len(items), chunks * 2)
        return items

    def _shorten(self, entries: Entries) -> Entries:
        current = list(entries)
        for index, entry in enumerate(entries):
            while "for" in current[index]:
                length = parse_duration(current[index]["for"])
                half = float(round(length / 2))
                if half < self.min_s or half == length:
                    break
                candidate = _replaced(current, index, {**current[index], "for": format_duration(half)})
                if not self.fails(candidate, f"shorten {entry['id']} to {format_duration(half)}"):
                    break
                current = candidate
        return current

    def _narrow(self, entries: Entries) -> Entries:
        current = list(entries)
        for index in range(len(current)):
            narrowed = True
            while narrowed:
                narrowed = False
                fault = current[index]["fault"]
                spec = FAULTS[fault["kind"]].model_validate(fault)
                for option in spec.narrower(self.topology):
                    candidate = _replaced(current, index, {**current[index], "fault": option})
                    if self.fails(candidate, f"narrow {current[index]['id']} to {describe(option)}"):
                        current, narrowed = candidate, True
                        break
        return current


def _replaced(entries: Entries, index: int, entry: dict[str, Any]) -> Entries:
    return [entry if i == index else e for i, e in enumerate(entries)]


def describe(fault: dict[str, Any]) -> str:
    """A fault in a few words: "partition a -> redis-1 (one-way)"."""
    kind = fault["kind"]
    if kind == "partition":
        a, b = fault["between"]
        return f"partition {a} -> {b} (one-way)" if fault.get("direction") == "one-way" else f"partition {a} <-> {b}"
    if "provider" in fault:
        return f"{kind} of {fault['provider']} ({fault.get('mode', 'blackhole')})"
    if "node" in fault:
        return f"{kind} of {fault['node']}"
    rest = ", ".join(f"{k} {v}" for k, v in fault.items() if k not in ("kind", "from", "to"))
    return f"{kind} from {fault['from']} to {fault['to']}" + (f" ({rest})" if rest else "")
