"""A probe of your own, named by import path."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from harness.extensions import PROBES
from harness.fields import ImportPath
from harness.probes import PeriodicProbe, ProbeContext, ProbeSpec
from harness.scenario.imports import resolve_import


@PROBES.register
class CustomProbeSpec(ProbeSpec):
    """``use`` ("package.module:factory") is called with (context, every_s, source, **args) and
    returns a PeriodicProbe, or a list of them, whose events carry this probe's id as source."""

    kind: Literal["custom"]
    use: ImportPath
    args: dict[str, Any] = Field(default_factory=dict)

    def start(self, ctx: ProbeContext) -> list[PeriodicProbe]:
        made = resolve_import(self.use)(ctx, self.every, self.id, **self.args)
        probes = made if isinstance(made, list) else [made]
        for probe in probes:
            if not isinstance(probe, PeriodicProbe):
                raise TypeError(f"{self.use} returned {type(probe).__name__}, not a PeriodicProbe")
        return probes
