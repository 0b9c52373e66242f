"""The scenario: a postmortem you can run, as data.

Time scale: the timeline's ``at:`` offsets and ``for:`` durations (and a
flood's ``ramp``) are incident time; a run multiplies them by its time scale
(the file's ``time_scale``, which the CLI overrides). Everything else is real
time and never scaled: ``grace``, probe periods and timeouts, invariant bounds,
action intervals, load rates, and the stack's protocol timeouts (elections,
driver timeouts). ``resolve()`` turns a scenario into real-second offsets.

The timeline, probes and invariants hold registered kinds: ``scenario_model()``
builds the schema over whatever is registered (the core's kinds, the systems',
and those of the scenario's own ``extensions:``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, create_model, model_validator

from harness.extensions import INVARIANTS, PROBES, registry_version
from harness.fields import Duration, Identifier
from harness.scenario.errors import ScenarioError, suggest
from harness.scenario.references import scenario_problems
from harness.scenario.spec import Spec, Strict
from harness.scenario.timeline import TimelineEntry, timeline_entry_model
from harness.scenario.topology_checks import raw_topology_problems
from harness.topology import Topology

AS_WAS = "as-was"
AS_FIXED = "as-fixed"


class Expectation(Strict):
    """The invariants this architecture is expected to break (none, for a fixed architecture)."""

    broken: list[str]


class Architecture(Strict):
    """One way the system is built: its own topology (replacing the scenario's) and settings.

    UPPER_CASE settings are every node's environment; lower-case ones belong to
    the roles and stack set-ups that declare them (harness.roles).
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
    # Modules beside the scenario (or installed) that register kinds it uses.
    extensions: list[str] = Field(default_factory=list)
    topology: Topology
    architectures: dict[Identifier, Architecture] = Field(min_length=1)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    probes: list[Spec] = Field(default_factory=list)
    invariants: list[Spec] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _topologies_name_their_problems(cls, data: Any) -> Any:
        problems = raw_topology_problems(data)
        if problems:
            raise ScenarioError(problems)
        return data

    @model_validator(mode="after")
    def _references_resolve(self) -> Scenario:
        problems = scenario_problems(self)
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

    def probe(self, probe_id: str) -> Any:
        for probe in self.probes:
            if probe.id == probe_id:  # type: ignore[attr-defined]
                return probe
        raise KeyError(f"no probe '{probe_id}'; " + suggest(probe_id, self.probe_ids, "probes"))

    def observer(self, observer_id: str) -> Any:
        """What an invariant's target names: a probe, or a load whose own observations it judges."""
        if observer_id in self.probe_ids:
            return self.probe(observer_id)
        return self.entry(observer_id).spec

    @property
    def entry_ids(self) -> list[str]:
        return [e.id for e in self.timeline]

    @property
    def probe_ids(self) -> list[str]:
        return [p.id for p in self.probes]  # type: ignore[attr-defined]

    @property
    def invariant_ids(self) -> list[str]:
        return [i.id for i in self.invariants]  # type: ignore[attr-defined]


_built: tuple[int, type[Scenario]] | None = None


def scenario_model() -> type[Scenario]:
    """The scenario schema over every kind registered now (rebuilt when more register)."""
    global _built
    version = registry_version()
    if _built is None or _built[0] != version:
        model = create_model(
            "Scenario",
            __base__=Scenario,
            timeline=(list[timeline_entry_model()], Field(default_factory=list)),  # type: ignore[valid-type]
            probes=(list[PROBES.union()], Field(default_factory=list)),  # type: ignore[valid-type]
            invariants=(list[INVARIANTS.union()], Field(min_length=1)),  # type: ignore[valid-type]
        )
        _built = (version, model)
    return _built[1]
