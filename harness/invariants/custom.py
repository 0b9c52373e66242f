"""An invariant of your own: a function named by import path, called with (history, context, **args)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from pydantic import Field

from harness.extensions import INVARIANTS
from harness.fields import ImportPath
from harness.invariants import InvariantSpec
from harness.invariants.context import JudgeContext
from harness.invariants.verdict import Verdict
from harness.scenario.imports import resolve_import


@INVARIANTS.register
class CustomInvariant(InvariantSpec):
    """``use`` ("package.module:function") is called with (history, context, **args) and returns a Verdict."""

    kind: Literal["custom"]
    use: ImportPath
    args: dict[str, Any] = Field(default_factory=dict)

    def check(self, ctx: JudgeContext) -> Verdict:
        # Someone else's code: whatever goes wrong becomes a verdict not judged, not a lost report.
        try:
            verdict = resolve_import(self.use)(ctx.history, ctx, **self.args)
        except Exception as exc:  # noqa: BLE001
            return Verdict.unjudged(self.id, self.kind, f"{self.use} raised {type(exc).__name__}: {exc}")
        if not isinstance(verdict, Verdict):
            return Verdict.unjudged(self.id, self.kind, f"{self.use} returned {type(verdict).__name__}, not a Verdict")
        return replace(verdict, id=self.id, kind=self.kind)
