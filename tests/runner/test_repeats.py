"""Repeated runs tallied per invariant, and the pass rule deciding from them."""

from __future__ import annotations

from dataclasses import replace

from harness.invariants.expectation import judge
from harness.invariants.verdict import Verdict
from harness.repeats import tally
from harness.report import RunRecord
from report.crafted_run import crafted_record


def _flipped(record: RunRecord, invariant: str) -> RunRecord:
    """The same run, but with `invariant` observed the other way."""
    verdicts = [replace(v, held=not v.held) if v.id == invariant else v for v in record.verdicts]
    return replace(record, verdicts=verdicts, outcome=judge(verdicts, record.run.expect))


def test_runs_of_one_scenario_are_tallied_per_invariant_and_a_flip_is_named() -> None:
    record = crafted_record()
    assert record.outcome.passed
    flipped = _flipped(record, "mail-kept")
    (entry,) = tally([record, record, flipped])
    assert (entry.runs, entry.matched) == (3, 2)
    assert entry.states["mail-kept"] == {"holds": 2, "breaks": 1}
    assert entry.flipped() == ["mail-kept"]
    assert not entry.passed("all") and entry.passed("majority")


def test_a_majority_needs_more_than_half_and_not_judged_is_its_own_state() -> None:
    record = crafted_record()
    unjudged = [Verdict.unjudged(v.id, v.kind, "no data") for v in record.verdicts]
    stopped = replace(record, verdicts=unjudged, outcome=judge(unjudged, record.run.expect))
    (entry,) = tally([record, stopped])
    assert not entry.passed("majority")
    assert entry.states["mail-kept"] == {"holds": 1, "not judged": 1}
