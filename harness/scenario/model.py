"""The scenario: a postmortem you can run, as data.

Time scale: the timeline's ``at:`` offsets and ``for:`` durations (and a
flood's ``ramp``) are incident time; a run multiplies them by its time scale
(the file's ``time_scale``, which the CLI overrides). Everything else is real
time and never scaled: ``grace``, probe periods and timeouts, invariant bounds,
action intervals, load rates, and the stack's protocol timeouts (elections,
driver timeouts). ``resolve()`` turns a scenario into real-second offsets.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from harness.scenario.errors import ScenarioError, suggest
from harness.scenario.fields import Duration, Identifier
from harness.scenario.invariants import Invariant
from harness.scenario.probes import Probes
from harness.scenario.references import reference_problems
from harness.scenario.timeline import Strict, TimelineEntry
from harness.scenario.topology_checks import raw_topology_problems
from harness.topology import Topology

AS_WAS = "as-was"
AS_FIXED = "as-fixed"


class Expectation(Strict):
    """The invariants this architecture is expected to break (none, for a fixed architecture)."""

    broken: list[str]


class Architecture(Strict):
    """One way the system is built: its own topology (replacing the scenario's) and stack settings.

    The stack reads the architecture's name as ARCH ("as-was", "as-fixed") and
    takes UPPER_CASE settings as the services' environment (see
    ``harness.runner.stack_settings``).
    """

    topology: Topology | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    # Timeline entries this architecture plays without: the same incident minus one
    # circumstance (incident A's recovery plan without the maintenance block).
    without: list[Identifier] = Field(default_factory=list)
    expect: Expectation


class Scenario(Strict):
    name: str = Field(min_length=1)
    incident: str = ""  # the postmortem this reproduces, as reference text
    seed: int
    time_scale: float = Field(default=1.0, gt=0, le=100)
    duration: Duration = Field(gt=0)  # timeline length, incident time (scaled)
    grace: Duration = 20.0  # after the timeline, real time (unscaled)
    topology: Topology
    architectures: dict[Identifier, Architecture] = Field(min_length=1)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    probes: Probes = Field(default_factory=Probes)
    invariants: list[Invariant] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _topologies_name_their_problems(cls, data: Any) -> Any:
        problems = raw_topology_problems(data)
        if problems:
            raise ScenarioError(problems)
        return data

    @model_validator(mode="after")
    def _references_resolve(self) -> Scenario:
        problems = reference_problems(self)
        if problems:
            raise ScenarioError(problems)
        return self

    def architecture(self, name: str) -> Architecture:
        try:
            return self.architectures[name]
        except KeyError:
            raise KeyError(
                f"scenario '{self.name}' has no architecture '{name}'; "
                + suggest(name, self.architectures, "architectures")
            ) from None

    def topology_for(self, architecture: str) -> Topology:
        return self.architecture(architecture).topology or self.topology

    def entry(self, entry_id: str) -> TimelineEntry:
        for entry in self.timeline:
            if entry.id == entry_id:
                return entry
        raise KeyError(f"no timeline entry '{entry_id}'; " + suggest(entry_id, self.entry_ids, "entries"))

    @property
    def entry_ids(self) -> list[str]:
        return [e.id for e in self.timeline]

    @property
    def invariant_ids(self) -> list[str]:
        return [i.id for i in self.invariants]
