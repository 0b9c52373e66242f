"""The expected outcome: an architecture passes when exactly the invariants it expects to break broke."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.invariants.verdict import Verdict
from harness.scenario.model import Expectation


@dataclass(frozen=True)
class Outcome:
    passed: bool
    summary: str  # one sentence: what happened against what was expected
    expected_broken: list[str]
    observed_broken: list[str]
    mismatches: list[str] = field(default_factory=list)  # one sentence per invariant that surprised us

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Outcome:
        return cls(**raw)


def judge(verdicts: Sequence[Verdict], expect: Expectation | Iterable[str]) -> Outcome:
    expected = list(expect.broken if isinstance(expect, Expectation) else expect)
    by_id = {v.id: v for v in verdicts}
    observed = [v.id for v in verdicts if v.broken]
    mismatches = []
    for verdict in verdicts:
        if verdict.inconclusive:
            mismatches.append(f"{verdict.id} {verdict.summary}")
        elif verdict.broken and verdict.id not in expected:
            mismatches.append(f"{verdict.id} broke but was expected to hold: {verdict.summary}")
        elif verdict.held and verdict.id in expected:
            mismatches.append(f"{verdict.id} held but was expected to break: {verdict.summary}")
    mismatches += [f"{name} was expected to break but has no verdict" for name in expected if name not in by_id]
    passed = not mismatches
    if passed:
        summary = (f"broke exactly as expected: {', '.join(expected)}" if expected
                   else f"every invariant held ({len(verdicts)} of {len(verdicts)})")
    elif expected and not observed:
        summary = (f"the harness saw no outage: {', '.join(expected)} should have broken and nothing broke; "
                   "check that the faults were applied (fault.start events) and the probes ran")
    else:
        summary = f"{len(mismatches)} invariant(s) did not turn out as expected"
    return Outcome(passed, summary + ".", expected, observed, mismatches)


def interrupted_outcome(verdicts: Sequence[Verdict], expect: Expectation | Iterable[str], when: str) -> Outcome:
    """A run that stopped before its end: nothing was judged, so it did not pass."""
    expected = list(expect.broken if isinstance(expect, Expectation) else expect)
    return Outcome(False, f"the run was interrupted {when}; none of its {len(verdicts)} invariants was judged.",
                   expected, [], [f"{v.id} {v.summary}" for v in verdicts])
