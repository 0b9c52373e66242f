"""Checkers: pure functions from a run's history to verdicts, and the expected-outcome judge."""

from harness.invariants.checks import CHECKS, check_invariant, check_invariants
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.expectation import Outcome, judge
from harness.invariants.verdict import Verdict, Window

__all__ = [
    "CHECKS",
    "JudgeContext",
    "Outcome",
    "Unjudgeable",
    "Verdict",
    "Window",
    "check_invariant",
    "check_invariants",
    "judge",
]
