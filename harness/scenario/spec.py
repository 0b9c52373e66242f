"""What every kind's schema shares: strict fields, and the references it owns.

A kind's schema (a fault, an action, a load, a probe, an invariant) checks its
own fields with pydantic and its references to the rest of the scenario in
``problems(scope)``: each name it uses must name something the scenario
declares. The scope answers for one topology, since an architecture's own
topology can hold names another's does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from harness.scenario.errors import FieldPath, Problem, suggest

if TYPE_CHECKING:
    from harness.scenario.model import Scenario
    from harness.topology import Topology

# Probe targets: the floating IP, every node of a role, or a node by name.
FLOATING = "floating"
ROLE_PREFIX = "role:"


class Strict(BaseModel):
    """Unknown keys are errors, and Python-keyword fields are written by their YAML name."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Spec(Strict):
    """A kind's schema: registered by its ``kind`` in one of harness.extensions' registries."""

    summary: ClassVar[str] = ""

    def problems(self, scope: Scope) -> Iterator[Problem]:
        """Each name this spec uses that the scenario does not declare (paths relative to it)."""
        return iter(())


class Scope:
    """The names a scenario declares, with one of its topologies."""

    def __init__(self, scenario: Scenario, topology: Topology) -> None:
        self.scenario = scenario
        self.topology = topology
        self.nodes = [n.name for n in topology.nodes]
        self.providers = list(topology.providers)
        # Who is being checked (for the record below): a description, and its entry id if any.
        self.user: tuple[str, str | None] = ("the scenario", None)
        # Every timeline entry some spec refers to: (user, user's entry id, the entry id).
        self.entry_uses: list[tuple[str, str | None, str]] = []

    # ---- the topology ------------------------------------------------------------

    def node(self, path: FieldPath, name: str, role: str | None = None) -> list[Problem]:
        if name not in self.nodes:
            return [Problem(path, f"unknown node '{name}'", suggest(name, self.nodes, "nodes"))]
        if role is not None and self.topology.node(name).role != role:
            candidates = [n.name for n in self.topology.by_role(role)]
            return [Problem(path, f"node '{name}' is not a {role} node", suggest(name, candidates, f"{role} nodes"))]
        return []

    def provider(self, path: FieldPath, name: str) -> list[Problem]:
        if name in self.providers:
            return []
        return [Problem(path, f"unknown provider '{name}'", suggest(name, self.providers, "providers"))]

    def node_or_provider(self, path: FieldPath, name: str) -> list[Problem]:
        if name in self.nodes and name in self.providers:
            return [Problem(path, f"'{name}' is both a node and a provider",
                            "rename one of them so the reference is unambiguous")]
        if name not in self.nodes and name not in self.providers:
            return [Problem(path, f"unknown node or provider '{name}'",
                            suggest(name, self.nodes + self.providers, "nodes and providers"))]
        return []

    def role(self, path: FieldPath, role: str) -> list[Problem]:
        if self.topology.by_role(role):
            return []
        roles = sorted({n.role for n in self.topology.nodes if n.role})
        return [Problem(path, f"no node has role '{role}'", suggest(role, roles, "roles in this topology"))]

    def targets(self, path: FieldPath, targets: Iterable[str], *, floating: bool = True) -> list[Problem]:
        """Probe targets: node names, ``role:<role>`` or (where it makes sense) ``floating``."""
        problems: list[Problem] = []
        for index, target in enumerate(targets):
            at = (*path, index)
            if target == FLOATING and floating:
                if not any(n.floating for n in self.topology.nodes):
                    problems.append(Problem(at, "target 'floating' needs a node that holds the floating IP",
                                            "give a public node floating: true (a proxy role does it)"))
            elif target.startswith(ROLE_PREFIX):
                problems += self.role(at, target.removeprefix(ROLE_PREFIX))
            else:
                problems += self.node(at, target)
        return problems

    def target_nodes(self, targets: Iterable[str]) -> list[str]:
        """The targets as event target names: node names, and ``floating`` as itself."""
        names: list[str] = []
        for target in targets:
            if target.startswith(ROLE_PREFIX):
                names += [n.name for n in self.topology.by_role(target.removeprefix(ROLE_PREFIX))]
            else:
                names.append(target)
        return names

    # ---- the rest of the scenario --------------------------------------------------

    def entry(self, path: FieldPath, entry_id: str, *categories: str, kind: str | None = None) -> list[Problem]:
        """A timeline entry of one of ``categories`` (and of ``kind``, when given)."""
        self.entry_uses.append((*self.user, entry_id))
        what = kind or " or ".join(categories) or "timeline entry"
        known = [e.id for e in self.scenario.timeline
                 if (not categories or e.category in categories) and (kind is None or e.what == kind)]
        if entry_id in known:
            return []
        return [Problem(path, f"unknown {what} '{entry_id}'", suggest(entry_id, known, f"{what}s"))]

    def observer(self, path: FieldPath, observer_id: str) -> list[Problem]:
        """What an invariant's target names: a probe, or a load whose own observations count."""
        loads = [e.id for e in self.scenario.timeline if getattr(e.spec, "observes", None) is not None]
        if observer_id in loads:
            self.entry_uses.append((*self.user, observer_id))
            return []
        known = self.scenario.probe_ids + loads
        if observer_id in known:
            return []
        return [Problem(path, f"unknown probe '{observer_id}'", suggest(observer_id, known, "probes and loads"))]

    def probe(self, path: FieldPath, probe_id: str, kinds: tuple[str, ...] = ()) -> list[Problem]:
        """A probe (of one of ``kinds``, when given), named by id."""
        known = [p.id for p in self.scenario.probes if not kinds or p.kind in kinds]
        if probe_id in known:
            return []
        what = " or ".join(kinds) + " probe" if kinds else "probe"
        fix = suggest(probe_id, known, f"{what}s") if known else f"add a {what} under probes"
        return [Problem(path, f"unknown {what} '{probe_id}'", fix)]


def spec_problems(spec: Any, scope: Scope, at: FieldPath) -> list[Problem]:
    """A spec's own problems, with paths made absolute."""
    return [Problem((*at, *problem.path), problem.message, problem.hint) for problem in spec.problems(scope)]
