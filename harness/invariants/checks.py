"""Judging a history: one Verdict per invariant the scenario declares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.history import History
from harness.invariants.actions import check_action_succeeds
from harness.invariants.api import check_availability, check_error_pages_link_status, check_latency
from harness.invariants.blocklist import check_blocklist_propagation
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.custom import check_custom
from harness.invariants.mail import check_no_mail_lost
from harness.invariants.recovery import check_recovery
from harness.invariants.replica_set import check_primary_outside
from harness.invariants.verdict import Verdict
from harness.scenario.resolve import ResolvedRun

CHECKS: dict[str, Callable[[Any, JudgeContext], Verdict]] = {
    "no_mail_lost": check_no_mail_lost,
    "availability": check_availability,
    "latency": check_latency,
    "recovery": check_recovery,
    "blocklist_propagation": check_blocklist_propagation,
    "error_pages_link_status": check_error_pages_link_status,
    "primary_outside": check_primary_outside,
    "action_succeeds": check_action_succeeds,
    "custom": check_custom,
}


def check_invariant(invariant: Any, ctx: JudgeContext) -> Verdict:
    try:
        return CHECKS[invariant.kind](invariant, ctx)
    except Unjudgeable as reason:
        return Verdict.unjudged(invariant.id, invariant.kind, str(reason))


def check_invariants(run: ResolvedRun, history: History) -> list[Verdict]:
    """Judge `history` against every invariant of the run's scenario, in declaration order."""
    ctx = JudgeContext(run, history)
    return [check_invariant(invariant, ctx) for invariant in run.scenario.invariants]
