"""Cross-references in a scenario: every name it uses must name something it declares.

Each kind checks its own references (``Spec.problems``); this module walks the
scenario, asking each spec once per distinct topology (an architecture's own
topology replaces the scenario's, so a name can exist in one and not the
other), and adds the checks that belong to the scenario as a whole: unique
ids, entries inside the timeline, expectations, ``without:``, and settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from harness.durations import format_duration, format_offset
from harness.extensions import ROLES, SETUPS
from harness.scenario.errors import Problem, suggest
from harness.scenario.spec import Scope, spec_problems

if TYPE_CHECKING:
    from harness.scenario.model import Scenario
    from harness.topology import Topology


def scenario_problems(scenario: Scenario) -> list[Problem]:
    problems = _unique_ids(scenario) + _timeline_fits(scenario)
    references, uses = _spec_references(scenario)
    problems += references + _expectations(scenario) + _entries_left_out(scenario, uses)
    problems += _settings(scenario)
    return problems


def _unique_ids(scenario: Scenario) -> list[Problem]:
    problems = []
    named = {"timeline": scenario.entry_ids, "probes": scenario.probe_ids, "invariants": scenario.invariant_ids}
    for section, ids in named.items():
        seen: set[str] = set()
        for index, name in enumerate(ids):
            if name in seen:
                problems.append(Problem((section, index, "id"), f"id '{name}' is used twice in {section}",
                                        "give every entry its own id"))
            seen.add(name)
    clash = set(scenario.probe_ids) & set(scenario.entry_ids)
    for index, name in enumerate(scenario.probe_ids):
        if name in clash:
            problems.append(Problem(("probes", index, "id"), f"'{name}' names both a probe and a timeline entry",
                                    "rename one: invariants name either by its id"))
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


def _spec_references(scenario: Scenario) -> tuple[list[Problem], list[tuple[str, str | None, str]]]:
    """Every spec's problems, each reported once (naming the architectures when not all of them
    have it), and which timeline entries which spec uses."""
    found: dict[Problem, list[str]] = {}
    uses: list[tuple[str, str | None, str]] = []
    overriding = {name for name, a in scenario.architectures.items() if a.topology is not None}
    for topology, architectures in _topologies_in_use(scenario):
        scope = Scope(scenario, topology)
        for problem in _problems_in(scenario, scope):
            found.setdefault(problem, []).extend(architectures)
        uses = scope.entry_uses
    problems = []
    for problem, architectures in found.items():
        if len(architectures) < len(scenario.architectures):
            names = ", ".join(f"'{a}'" for a in architectures)
            own = " (its own topology)" if set(architectures) <= overriding else ""
            problem = replace(problem, message=f"{problem.message} in architecture {names}{own}")
        problems.append(problem)
    return problems, uses


def entry_uses(scenario: Scenario) -> list[tuple[str, str | None, str]]:
    """Which timeline entries each spec names: (who, its own entry id, the entry it names)."""
    return _spec_references(scenario)[1]


def _problems_in(scenario: Scenario, scope: Scope) -> list[Problem]:
    problems: list[Problem] = []
    for index, entry in enumerate(scenario.timeline):
        scope.user = (f"timeline entry '{entry.id}'", entry.id)
        problems += spec_problems(entry.spec, scope, ("timeline", index, entry.category))
    for index, probe in enumerate(scenario.probes):
        scope.user = (f"probe '{probe.id}'", None)  # type: ignore[attr-defined]
        problems += spec_problems(probe, scope, ("probes", index))
    for index, invariant in enumerate(scenario.invariants):
        scope.user = (f"invariant '{invariant.id}'", None)  # type: ignore[attr-defined]
        problems += spec_problems(invariant, scope, ("invariants", index))
    if scenario.explore is not None:
        scope.user = ("the explore section", None)
        problems += spec_problems(scenario.explore, scope, ("explore",))
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


def _reference(path: tuple[Any, ...], name: str, known: Iterable[str], what: str) -> list[Problem]:
    known = list(known)
    return [] if name in known else [Problem(path, f"unknown {what} '{name}'", suggest(name, known, f"{what}s"))]


def _expectations(scenario: Scenario) -> list[Problem]:
    problems = []
    for name, architecture in scenario.architectures.items():
        seen: set[str] = set()
        for index, broken in enumerate(architecture.expect.broken):
            path = ("architectures", name, "expect", "broken", index)
            if broken in seen:
                problems.append(Problem(path, f"'{broken}' is listed twice", "list each invariant once"))
            seen.add(broken)
            problems += _reference(path, broken, scenario.invariant_ids, "invariant")
    return problems


def _entries_left_out(scenario: Scenario, uses: list[tuple[str, str | None, str]]) -> list[Problem]:
    """An architecture's `without:` names timeline entries, and nothing it still plays needs them."""
    problems = []
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


def _settings(scenario: Scenario) -> list[Problem]:
    """UPPER_CASE settings are environment; a lower-case one must belong to a role or set-up in
    use; and every role in use must be able to build the architecture."""
    problems = []
    for name, architecture in scenario.architectures.items():
        topology = architecture.topology or scenario.topology
        roles = [ROLES[r] for r in sorted({n.role for n in topology.nodes if n.role})]
        setups = [s for s in SETUPS.values() if any(role.name in s.roles for role in roles)]
        known = sorted({key for owner in (*roles, *setups) for key in owner.settings})
        for key in architecture.settings:
            if not key.isupper() and key not in known:
                problems.append(Problem(
                    ("architectures", name, "settings", key), f"setting '{key}' is known to no role in use",
                    "environment variables are UPPER_CASE (e.g. DRIVER_RECONNECT_TRIES); "
                    + (f"the roles in use take {', '.join(known)}" if known else "the roles in use take none"),
                ))
        for role in roles:
            for message in role.check(name, architecture.settings) if role.check else []:
                problems.append(Problem(("architectures", name, "settings"), message))
    return problems
