"""Repeated runs of one scenario and architecture, tallied: how often each invariant held.

A gate that flips without a code change gets switched off; `outage run --repeat N`
shows whether one does. A run counts as matching when its verdicts are what its
architecture expects; ``pass_rule`` decides from the N runs: ``all`` of them
must match, or a strict ``majority``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from harness.report.record import RunRecord

PassRule = Literal["all", "majority"]


@dataclass
class Tally:
    scenario: str
    architecture: str
    expected_broken: list[str]
    runs: int = 0
    matched: int = 0
    # Per invariant: how many runs observed it "holds", "breaks" or "not judged".
    states: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, record: RunRecord) -> None:
        self.runs += 1
        self.matched += record.outcome.passed
        for verdict in record.verdicts:
            self.states.setdefault(verdict.id, Counter())[verdict.state] += 1

    def passed(self, rule: PassRule) -> bool:
        return self.matched == self.runs if rule == "all" else 2 * self.matched > self.runs

    def flipped(self) -> list[str]:
        """The invariants not observed the same way in every run."""
        return [invariant for invariant, seen in self.states.items() if len(seen) > 1]


def tally(records: Iterable[RunRecord]) -> list[Tally]:
    """One tally per scenario and architecture, in the order they first ran."""
    tallies: dict[tuple[str, str], Tally] = {}
    for record in records:
        key = (record.run.scenario.name, record.run.architecture)
        if key not in tallies:
            tallies[key] = Tally(*key, list(record.run.expect.broken))
        tallies[key].add(record)
    return list(tallies.values())
