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
    ports: dict[int, str] = {}
    for index, node in enumerate(topology["nodes"]):
        if not isinstance(node, dict):
            continue
        name, provider, port = node.get("name"), node.get("provider"), node.get("port")
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
        if isinstance(port, int) and not isinstance(port, bool):
            if port in ports:
                problems.append(Problem(
                    (*here, "port"),
                    f"port {port} is already used by node '{ports[port]}'",
                    "every node needs a port unique across the stack (the fabric stands in for "
                    "a node on its port): pick another or leave 'port' out to get a free one",
                ))
            ports.setdefault(port, str(name))
    return problems
