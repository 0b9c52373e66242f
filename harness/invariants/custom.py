"""Custom invariants: a function named by import path, called with (history, context, **args)."""

from __future__ import annotations

from dataclasses import replace

from harness.invariants.context import JudgeContext
from harness.invariants.verdict import Verdict
from harness.scenario.imports import resolve_import
from harness.scenario.invariants import CustomInvariant


def check_custom(inv: CustomInvariant, ctx: JudgeContext) -> Verdict:
    # Someone else's code: whatever goes wrong becomes an inconclusive verdict, not a lost report.
    try:
        check = resolve_import(inv.use)
        verdict = check(ctx.history, ctx, **inv.args)
    except Exception as exc:
        return Verdict.unjudged(inv.id, inv.kind, f"{inv.use} raised {type(exc).__name__}: {exc}")
    if not isinstance(verdict, Verdict):
        return Verdict.unjudged(inv.id, inv.kind, f"{inv.use} returned {type(verdict).__name__}, not a Verdict")
    return replace(verdict, id=inv.id, kind=inv.kind)
