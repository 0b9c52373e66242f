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

The file format has a number, ``version:`` (CHANGELOG.md says what each one
changed). Format 2 lists probes with an ``id`` and a registered ``kind``;
format 1 kept them in a mapping by type. A file without ``version:`` is read
as format 2 unless its ``probes:`` is a mapping; a file of another format is
refused with what changed and how to convert it (``format_problems``).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, create_model, model_validator

from harness.extensions import INVARIANTS, PROBES, registry_version
from harness.fields import Duration, Identifier
from harness.scenario.errors import Problem, ScenarioError, suggest
from harness.scenario.explore import ExploreSection
from harness.scenario.references import scenario_problems
from harness.scenario.spec import Spec, Strict
from harness.scenario.timeline import TimelineEntry, timeline_entry_model
from harness.scenario.topology_checks import raw_topology_problems
from harness.topology import Topology

AS_WAS = "as-was"
AS_FIXED = "as-fixed"
FORMAT = 2
# What each format-1 probe became: its id and kind in format 2 (the api probe's targets become
# a probe each; the blocklist probe became the flood load's own observations).
FORMAT_1_PROBES = {"smtp_delivery": ("mail", "mail_delivery"), "replica_set": ("rs", "mongo")}
FORMAT_1_API_TARGETS = {"front": ("front", "floating"), "legs": ("legs", "role:api")}
FORMAT_1_CHANGES = ("probes is now a list of {id, kind, ...}, and invariants name the probe they judge "
                    "(target: <probe id> or <probe id>/<node>; no_mail_lost and primary_outside take probe:)")


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
    version: Literal[2] = FORMAT  # the file format; the loader refuses others with what changed
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
    # What `outage explore` may draw its faults from (harness.explore.space); defaults when absent.
    explore: ExploreSection | None = None
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


def format_problems(data: dict[str, Any]) -> list[Problem]:
    """Why a file written for another format than ``FORMAT`` cannot be read, and how to convert it."""
    version = data.get("version")
    if version is None:
        probes = data.get("probes")
        return _format_1_problems(probes, ("probes",)) if isinstance(probes, dict) else []
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return [Problem(("version",), f"{version!r} is not a scenario format number", f"write version: {FORMAT}")]
    if version > FORMAT:
        return [Problem(("version",), f"the file is written for scenario format {version}, and this harness "
                        f"reads format {FORMAT}", "install a newer outage-harness (CHANGELOG.md lists the formats)")]
    if version < FORMAT:
        return _format_1_problems(data.get("probes"), ("version",))
    return []


def _format_1_problems(probes: Any, path: tuple[str, ...]) -> list[Problem]:
    lines = _format_2_probes(probes) if isinstance(probes, dict) else []
    hint = f"write version: {FORMAT} and convert the probes"
    if lines:
        hint += ", e.g.\nprobes:\n" + "\n".join(f"  - {line}" for line in lines)
    if isinstance(probes, dict) and "blocklist" in probes:
        hint += "\n(the blocklist probe is gone: a flood load records what the blocklist refuses)"
    return [Problem(path, f"this is scenario format 1, and this harness reads format {FORMAT}: "
                    f"{FORMAT_1_CHANGES}", hint)]


def _format_2_probes(probes: dict[str, Any]) -> list[str]:
    """Each format-1 probe written as its format-2 entries (flow-style YAML lines)."""
    lines = []
    for name, raw in probes.items():
        fields = dict(raw) if isinstance(raw, dict) else {}
        if name in FORMAT_1_PROBES:
            probe_id, kind = FORMAT_1_PROBES[name]
            lines.append(_flow({"id": probe_id, "kind": kind, **fields}))
        elif name == "api":
            targets = fields.pop("targets", ["front", "legs"])
            for target in targets if isinstance(targets, list) else []:
                probe_id, reached = FORMAT_1_API_TARGETS.get(target, (target, target))
                lines.append(_flow({"id": probe_id, "kind": "mail_api", "targets": [reached], **fields}))
        elif name == "custom":
            customs = [c for c in raw if isinstance(c, dict)] if isinstance(raw, list) else []
            lines += [_flow({"id": f"custom-{i}", "kind": "custom", **c}) for i, c in enumerate(customs, 1)]
    return lines


def _flow(mapping: dict[str, Any]) -> str:
    """``{id: mail, kind: mail_delivery, every: 1s}``: quoted only where YAML needs it."""
    def value(item: Any) -> str:
        if isinstance(item, list):
            return "[" + ", ".join(value(v) for v in item) + "]"
        if isinstance(item, dict):
            return _flow(item)
        text = str(item)
        return json.dumps(text) if any(c in text for c in ":{}[],#&*!|>'\"%@`") else text
    return "{" + ", ".join(f"{key}: {value(item)}" for key, item in mapping.items()) + "}"
