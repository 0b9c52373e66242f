"""The explore section of a scenario: what `outage explore` may draw its faults from.

    explore:
      kinds: [provider-outage, partition, kill]   # default: every kind that can be drawn
      providers: [dbhost, east]                   # whom provider faults may hit (default: all)
      nodes: [mongo-1, api-1]                     # whom node faults may hit (default: all)
      duration: {min: 5s, max: 30s}               # each fault's for:, real time
      faults: 3                                   # at most, per schedule
      concurrent: 2                               # at most in force at once
      quiet: 5s                                   # at least between one fault's end and the next's start
      length: 1m                                  # the window faults fall in, real time (default: the timeline)
      reset: restart                              # between schedules: heal (default), or restart every node

Between two schedules the stack is healed and each system resets its part (a replica
set's primary, spools drained). A system whose roles a failure changes for good (Redis
after a Sentinel failover) asks for ``restart``: every node back to how it started.

Times here are real seconds: an explored schedule runs at time scale 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator

from harness.extensions import FAULTS
from harness.fields import Duration, invalid
from harness.scenario.errors import Problem, suggest
from harness.scenario.spec import Scope, Strict


class Durations(Strict):
    min: Duration = Field(default=5.0, gt=0)
    max: Duration = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Durations:
        if self.min > self.max:
            raise invalid(f"min {self.min:g} s is longer than max {self.max:g} s", "swap them")
        return self


class ExploreSection(Strict):
    kinds: list[str] | None = None
    providers: list[str] | None = None
    nodes: list[str] | None = None
    duration: Durations = Field(default_factory=Durations)
    faults: int = Field(default=3, ge=1, le=20)
    concurrent: int = Field(default=2, ge=1, le=20)
    quiet: Duration = Field(default=5.0, ge=0)
    length: Duration | None = Field(default=None, gt=0)
    reset: Literal["heal", "restart"] = "heal"

    def problems(self, scope: Scope) -> Iterator[Problem]:
        drawable = drawable_kinds()
        for index, kind in enumerate(self.kinds or []):
            if kind not in drawable:
                yield Problem(("kinds", index), f"fault kind '{kind}' cannot be drawn by the explorer",
                              suggest(kind, drawable, "kinds it draws"))
        for index, provider in enumerate(self.providers or []):
            yield from scope.provider(("providers", index), provider)
        for index, node in enumerate(self.nodes or []):
            yield from scope.node(("nodes", index), node)
        if self.length is not None and self.length < self.duration.min:
            yield Problem(("length",), f"a schedule of {self.length:g} s holds no fault of at least "
                          f"{self.duration.min:g} s", "lengthen it or lower duration.min")


def drawable_kinds() -> list[str]:
    """The registered fault kinds that know how to draw themselves."""
    return [name for name in FAULTS.names() if FAULTS[name].can_draw()]
