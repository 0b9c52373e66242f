"""Topology mistakes pinned to the node that makes them.

``harness.topology.Topology`` rejects these too, but only for the topology as
a whole; checking the raw data first lets the error name the node's line.
"""

from __future__ import annotations

from typing import Any

from harness.scenario.errors import FieldPath, Problem, suggest


def raw_topology_problems(data: Any) -> list[Problem]:
    if not isinstance(data, dict):
        return []
    problems = _problems_in(data.get("topology"), ("topology",))
    architectures = data.get("architectures")
    if isinstance(architectures, dict):
        for name, architecture in architectures.items():
            if isinstance(architecture, dict):
                problems += _problems_in(architecture.get("topology"), ("architectures", name, "topology"))
    return problems


def _problems_in(topology: Any, at: FieldPath) -> list[Problem]:
    if not isinstance(topology, dict) or not isinstance(topology.get("nodes"), list):
        return []
    providers = topology.get("providers")
    provider_names = [p for p in providers if isinstance(p, str)] if isinstance(providers, dict) else []
    problems: list[Problem] = []
    names: dict[str, int] = {}
    declared = [node["name"] for node in topology["nodes"]
                if isinstance(node, dict) and isinstance(node.get("name"), str)]
    for index, node in enumerate(topology["nodes"]):
        if not isinstance(node, dict):
            continue
        name, provider = node.get("name"), node.get("provider")
        here = (*at, "nodes", index)
        if isinstance(name, str):
            if name in names:
                problems.append(Problem((*here, "name"), f"node name '{name}' is used twice",
                                        "give every node its own name"))
            names.setdefault(name, index)
        if isinstance(provider, str) and isinstance(providers, dict) and provider not in providers:
            problems.append(Problem((*here, "provider"), f"unknown provider '{provider}'",
                                    suggest(provider, provider_names, "providers")
                                    + " (or declare it under providers)"))
        depends_on = node.get("depends_on")
        for position, needed in enumerate(depends_on if isinstance(depends_on, list) else []):
            if isinstance(needed, str) and needed not in declared:
                problems.append(Problem((*here, "depends_on", position), f"unknown node '{needed}'",
                                        suggest(needed, declared, "nodes")))
    return problems
