"""Cross-references in a scenario: every name it uses must name something it declares.

Node, provider and role references are checked against the topology of every
architecture that runs the scenario (an architecture's own topology replaces
the scenario's, so a name can exist in one and not the other).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from harness.scenario.durations import format_duration, format_offset
from harness.scenario.errors import FieldPath, Problem, suggest
from harness.scenario.fields import phase_reference
from harness.scenario.invariants import (
    MAIL,
    ActionSucceeds,
    Availability,
    BlocklistPropagation,
    ErrorPagesLinkStatus,
    LatencyBound,
    NoMailLost,
    PrimaryOutside,
    Recovery,
)
from harness.scenario.probes import FRONT, LEGS
from harness.scenario.timeline import (
    Bandwidth,
    BlockIps,
    Flood,
    Kill,
    Latency,
    MaintenanceBlock,
    MoveFloatingIp,
    Partition,
    Pause,
    ProviderOutage,
    ResetPeer,
    Restart,
    RestartRole,
)
from harness.topology import Role, Topology

if TYPE_CHECKING:
    from harness.scenario.model import Scenario


def reference_problems(scenario: Scenario) -> list[Problem]:
    problems = _unique_ids(scenario) + _timeline_fits(scenario) + _topology_references(scenario)
    problems += _entry_references(scenario) + _invariant_references(scenario)
    problems += _probe_coverage(scenario) + _expectations(scenario) + _entries_left_out(scenario)
    return problems


def _unique_ids(scenario: Scenario) -> list[Problem]:
    problems = []
    for section, ids in (("timeline", scenario.entry_ids), ("invariants", scenario.invariant_ids)):
        seen: set[str] = set()
        for index, name in enumerate(ids):
            if name in seen:
                problems.append(Problem((section, index, "id"), f"id '{name}' is used twice in {section}",
                                        "give every entry its own id"))
            seen.add(name)
    return problems


def _timeline_fits(scenario: Scenario) -> list[Problem]:
    problems = []
    end = scenario.duration
    for index, entry in enumerate(scenario.timeline):
        if entry.at > end:
            problems.append(Problem(
                ("timeline", index, "at"),
                f"starts at {format_offset(entry.at)}, after the timeline ends ({format_offset(end)})",
                "move it earlier or lengthen 'duration'",
            ))
        elif entry.for_ is not None and entry.at + entry.for_ > end:
            problems.append(Problem(
                ("timeline", index, "for"),
                f"lasts until {format_offset(entry.at + entry.for_)}, after the timeline ends "
                f"({format_offset(end)})",
                f"shorten 'for' or lengthen 'duration' to at least {format_duration(entry.at + entry.for_)}",
            ))
    return problems


def _topology_references(scenario: Scenario) -> list[Problem]:
    """Problems found in some architectures' topologies, each reported once, naming them when not all."""
    found: dict[Problem, list[str]] = {}
    overriding = {name for name, a in scenario.architectures.items() if a.topology is not None}
    for topology, architectures in _topologies_in_use(scenario):
        for problem in _TopologyReferences(scenario, topology).problems():
            found.setdefault(problem, []).extend(architectures)
    problems = []
    for problem, architectures in found.items():
        if len(architectures) < len(scenario.architectures):
            names = ", ".join(f"'{a}'" for a in architectures)
            own = " (its own topology)" if set(architectures) <= overriding else ""
            problem = replace(problem, message=f"{problem.message} in architecture {names}{own}")
        problems.append(problem)
    return problems


def _topologies_in_use(scenario: Scenario) -> list[tuple[Topology, list[str]]]:
    """Each distinct topology with the architectures that run on it."""
    groups: list[tuple[Topology, list[str]]] = []
    for name, architecture in scenario.architectures.items():
        topology = architecture.topology or scenario.topology
        for known, names in groups:
            if known is topology:
                names.append(name)
                break
        else:
            groups.append((topology, [name]))
    return groups


class _TopologyReferences:
    """References to nodes, providers and roles, checked against one topology."""

    def __init__(self, scenario: Scenario, topology: Topology) -> None:
        self.scenario = scenario
        self.topology = topology
        self.nodes = [n.name for n in topology.nodes]
        self.providers = list(topology.providers)
        self.legs = [n.name for n in topology.by_role(Role.API)]
        self.proxies = [n.name for n in topology.by_role(Role.PROXY)]

    def problems(self) -> list[Problem]:
        return list(self._entries()) + list(self._probes()) + list(self._invariants())

    def _provider(self, path: FieldPath, name: str) -> Iterator[Problem]:
        if name not in self.providers:
            yield Problem(path, f"unknown provider '{name}'", suggest(name, self.providers, "providers"))

    def _node(self, path: FieldPath, name: str, role: Role | None = None) -> Iterator[Problem]:
        if name not in self.nodes:
            yield Problem(path, f"unknown node '{name}'", suggest(name, self.nodes, "nodes"))
        elif role is not None and self.topology.node(name).role != role:
            candidates = [n.name for n in self.topology.by_role(role)]
            yield Problem(path, f"node '{name}' has role {self.topology.node(name).role}, not {role}",
                                suggest(name, candidates, f"{role} nodes"))

    def _node_or_provider(self, path: FieldPath, name: str) -> Iterator[Problem]:
        if name in self.nodes and name in self.providers:
            yield Problem(path, f"'{name}' is both a node and a provider",
                                "rename one of them so the reference is unambiguous")
        elif name not in self.nodes and name not in self.providers:
            yield Problem(path, f"unknown node or provider '{name}'",
                                suggest(name, self.nodes + self.providers, "nodes and providers"))

    def _entries(self) -> Iterator[Problem]:
        for index, entry in enumerate(self.scenario.timeline):
            spec, at = entry.spec, ("timeline", index, entry.category)
            if isinstance(spec, ProviderOutage):
                yield from self._provider((*at, "provider"), spec.provider)
                for j, vantage in enumerate(spec.except_):
                    yield from self._provider((*at, "except", j), vantage)
                    if vantage == spec.provider:
                        yield Problem((*at, "except", j), f"'{vantage}' is the provider being cut",
                                            "list only the other providers that keep their links")
            elif isinstance(spec, Partition):
                for j, side in enumerate(spec.between):
                    yield from self._node_or_provider((*at, "between", j), side)
            elif isinstance(spec, Latency | Bandwidth | ResetPeer):
                yield from self._provider((*at, "from"), spec.from_)
                yield from self._node_or_provider((*at, "to"), spec.to)
            elif isinstance(spec, Kill | Pause | Restart):
                yield from self._node((*at, "node"), spec.node)
            elif isinstance(spec, RestartRole) and not self.topology.by_role(spec.role):
                yield Problem((*at, "role"), f"no node has role '{spec.role}'",
                                    "restart a role the topology has, e.g. 'api'")
            elif isinstance(spec, MoveFloatingIp):
                yield from self._node((*at, "to"), spec.to, Role.PROXY)

    def _target(self, path: FieldPath, target: str, allow_mail: bool) -> Iterator[Problem]:
        if target == FRONT:
            if not self.proxies:
                yield Problem(path, "target 'front' needs a proxy node", "add a node with role proxy")
        elif target == LEGS:
            if not self.legs:
                yield Problem(path, "target 'legs' needs API nodes", "add nodes with role api")
        elif target == MAIL and allow_mail:
            if not self.topology.by_role(Role.SMTP):
                yield Problem(path, "target 'mail' needs SMTP nodes", "add nodes with role smtp")
        elif target not in self.legs:
            special = [FRONT, LEGS] + ([MAIL] if allow_mail else [])
            yield Problem(path, f"unknown target '{target}'",
                                suggest(target, special + self.legs, "targets (front, legs or an API leg)"))

    def _probes(self) -> Iterator[Problem]:
        api = self.scenario.probes.api
        for index, target in enumerate(api.targets if api else []):
            yield from self._target(("probes", "api", "targets", index), target, allow_mail=False)

    def _invariants(self) -> Iterator[Problem]:
        for index, invariant in enumerate(self.scenario.invariants):
            at = ("invariants", index)
            if isinstance(invariant, Availability | LatencyBound):
                yield from self._target((*at, "target"), invariant.target, allow_mail=True)
            elif isinstance(invariant, Recovery | ErrorPagesLinkStatus):
                yield from self._target((*at, "target"), invariant.target, allow_mail=False)
            elif isinstance(invariant, PrimaryOutside):
                yield from self._provider((*at, "provider"), invariant.provider)
            elif isinstance(invariant, BlocklistPropagation) and not self.topology.by_role(Role.SMTP):
                yield Problem((*at, "action"), "blocklist propagation needs SMTP nodes",
                                    "add nodes with role smtp")


def _ids_of(scenario: Scenario, *categories: str) -> list[str]:
    return [e.id for e in scenario.timeline if e.category in categories]


def _reference(path: FieldPath, name: str, known: list[str], what: str) -> list[Problem]:
    return [] if name in known else [Problem(path, f"unknown {what} '{name}'", suggest(name, known, f"{what}s"))]


def _entry_references(scenario: Scenario) -> list[Problem]:
    problems = []
    actions = _ids_of(scenario, "action")
    floods = [e.id for e in scenario.timeline if isinstance(e.load, Flood)]
    for index, entry in enumerate(scenario.timeline):
        spec, at = entry.spec, ("timeline", index, entry.category)
        if isinstance(spec, MaintenanceBlock):
            problems += _reference((*at, "blocks"), spec.blocks, actions, "action")
        elif isinstance(spec, BlockIps) and spec.from_load is not None:
            problems += _reference((*at, "from_load"), spec.from_load, floods, "flood load")
    return problems


def _invariant_references(scenario: Scenario) -> list[Problem]:
    problems = []
    faults, actions = _ids_of(scenario, "fault"), _ids_of(scenario, "action")
    phased = _ids_of(scenario, "fault", "load")
    block_actions = [e.id for e in scenario.timeline if isinstance(e.action, BlockIps)]
    for index, invariant in enumerate(scenario.invariants):
        at = ("invariants", index)
        if isinstance(invariant, Recovery):
            problems += _reference((*at, "after"), invariant.after, faults + actions, "fault or action")
        elif isinstance(invariant, BlocklistPropagation):
            problems += _reference((*at, "action"), invariant.action, block_actions, "block-ips action")
        elif isinstance(invariant, PrimaryOutside):
            problems += _reference((*at, "fault"), invariant.fault, faults, "fault")
        elif isinstance(invariant, ActionSucceeds):
            problems += _reference((*at, "action"), invariant.action, actions, "action")
        elif isinstance(invariant, NoMailLost) and invariant.grace is not None and invariant.grace > scenario.grace:
            problems.append(Problem(
                (*at, "grace"),
                f"grace {format_duration(invariant.grace)} is longer than the run's grace "
                f"{format_duration(scenario.grace)}: the run would end before the check",
                f"raise the scenario's grace to {format_duration(invariant.grace)} or lower this one",
            ))
        phase = getattr(invariant, "phase", "all")
        _, ref = phase_reference(phase)
        if ref is not None:
            problems += _reference((*at, "phase"), ref, phased, "fault or load")
    return problems


def _probe_coverage(scenario: Scenario) -> list[Problem]:
    """Every invariant must read events some probe writes."""
    probes = scenario.probes
    problems = []
    for index, invariant in enumerate(scenario.invariants):
        at = ("invariants", index)
        target = getattr(invariant, "target", None)
        if isinstance(invariant, NoMailLost) or target == MAIL:
            if probes.smtp_delivery is None:
                problems.append(Problem(at, f"invariant '{invariant.id}' reads the SMTP delivery probe",
                                        "add probes: {smtp_delivery: {every: 1s}}"))
        elif target is not None:
            covered = probes.api is not None and (
                target in probes.api.targets
                or (target not in (FRONT, LEGS) and LEGS in probes.api.targets)
            )
            if not covered:
                problems.append(Problem((*at, "target"), f"no API probe watches target '{target}'",
                                        f"add '{target}' to probes.api.targets"))
        elif isinstance(invariant, PrimaryOutside) and probes.replica_set is None:
            problems.append(Problem(at, f"invariant '{invariant.id}' reads the replica-set probe",
                                    "add probes: {replica_set: {every: 1s}}"))
        elif isinstance(invariant, BlocklistPropagation) and probes.blocklist is None:
            problems.append(Problem(at, f"invariant '{invariant.id}' reads the blocklist probe",
                                    "add probes: {blocklist: {every: 1s}}"))
    return problems


def _expectations(scenario: Scenario) -> list[Problem]:
    problems = []
    known = scenario.invariant_ids
    for name, architecture in scenario.architectures.items():
        seen: set[str] = set()
        for index, broken in enumerate(architecture.expect.broken):
            path = ("architectures", name, "expect", "broken", index)
            if broken in seen:
                problems.append(Problem(path, f"'{broken}' is listed twice", "list each invariant once"))
            seen.add(broken)
            problems += _reference(path, broken, known, "invariant")
    return problems


def _entry_uses(scenario: Scenario) -> Iterator[tuple[str, str | None, str]]:
    """(user, the user's own entry id if it is a timeline entry, the entry id it names)."""
    for entry in scenario.timeline:
        spec = entry.spec
        if isinstance(spec, MaintenanceBlock):
            yield f"timeline entry '{entry.id}'", entry.id, spec.blocks
        elif isinstance(spec, BlockIps) and spec.from_load is not None:
            yield f"timeline entry '{entry.id}'", entry.id, spec.from_load
    for invariant in scenario.invariants:
        user = f"invariant '{invariant.id}'"
        for name in ("after", "action", "fault"):
            if isinstance(ref := getattr(invariant, name, None), str):
                yield user, None, ref
        _, phase_ref = phase_reference(getattr(invariant, "phase", "all"))
        if phase_ref is not None:
            yield user, None, phase_ref


def _entries_left_out(scenario: Scenario) -> list[Problem]:
    """An architecture's `without:` names timeline entries, and nothing it still plays needs them."""
    problems = []
    uses = list(_entry_uses(scenario))
    for name, architecture in scenario.architectures.items():
        for index, left_out in enumerate(architecture.without):
            path = ("architectures", name, "without", index)
            if left_out not in scenario.entry_ids:
                problems += _reference(path, left_out, scenario.entry_ids, "timeline entry")
                continue
            for user, user_entry, ref in uses:
                if ref == left_out and user_entry not in architecture.without:
                    problems.append(Problem(
                        path, f"{user} needs '{left_out}', which architecture '{name}' plays without",
                        f"leave '{left_out}' in, or drop what needs it from the scenario",
                    ))
    return problems
