"""Compose files as topologies: each service a node, placed in a provider.

    topology:
      compose: compose.yaml          # relative to the scenario file
      place: {redis-1: east, redis-2: west, ...}
      providers: {east: {description: ...}}   # optional: descriptions, vantage points

A service's image, build, command, entrypoint, environment, env_file,
healthcheck (which becomes the node's ``ready:`` check), depends_on (the start
order), ports and expose (the ports the fabric carries between providers),
named volumes (per run), cpus and mem_limit become the node's. Service names
resolve as they do under Compose, through the fabric when the other service
lives in another provider, so the application's own settings stay as written.
A key the harness cannot honour is refused with its line and what to do
instead, never dropped; ``$VAR`` and ``${VAR:-default}`` are read from the
environment and ``$$`` is a dollar, as Compose does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from harness.durations import parse_duration
from harness.scenario.errors import FieldPath, Problem, ScenarioError, line_in, suggest

# What each supported service key becomes; everything else is refused with a reason.
SUPPORTED = ("image", "build", "command", "entrypoint", "environment", "env_file", "healthcheck",
             "depends_on", "ports", "expose", "volumes", "cpus", "mem_limit", "hostname", "container_name")
WHY_NOT = {
    "networks": "providers replace networks: place the service in a provider instead",
    "network_mode": "providers replace networks: place the service in a provider instead",
    "links": "services reach each other by name already: remove links",
    "restart": "the harness restarts nodes only when a fault or action says so: remove restart",
    "deploy": "write cpus and mem_limit on the service instead of deploy.resources",
    "privileged": "the harness runs no privileged containers",
    "cap_add": "the harness adds no capabilities",
    "extra_hosts": "names resolve through the providers' networks: remove extra_hosts",
    "dns": "names resolve through the providers' networks: remove dns",
}
TOP_LEVEL = ("services", "volumes", "version", "name")
HEALTHCHECK_KEYS = ("test", "interval", "timeout", "retries", "start_period", "disable")
DEFAULT_READY_S = 90.0
_VARIABLE = re.compile(
    r"\$(?:\$|\{(?P<braced>[A-Za-z_]\w*)(?:(?P<colon>:?)-(?P<default>[^}]*))?\}|(?P<bare>[A-Za-z_]\w*))")


@dataclass
class ComposeTopology:
    """The nodes a compose file describes (as topology node fields), and what went wrong where."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lines: dict[FieldPath, int] = field(default_factory=dict)


def load_compose(path: Path, place: dict[str, str]) -> list[dict[str, Any]]:
    """The nodes of the compose file at ``path``, each in the provider ``place`` gives it.
    Problems in the file raise a ScenarioError that names the compose file and line."""
    try:
        tree = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError.single((), f"cannot read the compose file: {exc}", "check topology.compose",
                                   str(path)) from None
    except YAMLError as exc:
        raise ScenarioError.single((), f"invalid YAML: {exc}", "fix the compose file's syntax", str(path), 1) from None
    converted = compose_nodes(tree, path.parent, place)
    if converted.problems:
        raise ScenarioError(converted.problems, str(path)).located(
            str(path), lambda at: line_in(tree, at))
    return converted.nodes


def compose_nodes(tree: Any, folder: Path, place: dict[str, str]) -> ComposeTopology:
    result = ComposeTopology()
    if not isinstance(tree, dict) or not isinstance(tree.get("services"), dict):
        result.problems.append(Problem((), "a compose file needs a services: mapping", "see compose.yaml examples"))
        return result
    for key in tree:
        if key not in TOP_LEVEL and not str(key).startswith("x-"):
            result.problems.append(Problem((key,), f"top-level key '{key}' is not supported",
                                           WHY_NOT.get(key, f"remove it (supported: {', '.join(TOP_LEVEL)})")))
    services = tree["services"]
    for name in place:
        if name not in services:
            result.problems.append(Problem(("services",), f"place names '{name}', which is not a service here",
                                           suggest(name, list(services), "services")))
    providers = sorted(set(place.values()))
    for name, service in services.items():
        at: FieldPath = ("services", name)
        if name not in place:
            result.problems.append(Problem(at, f"service '{name}' is not placed in a provider",
                                           f"add it under topology.place, in one of: {', '.join(providers) or 'a provider'}"))
            continue
        if not isinstance(service, dict):
            result.problems.append(Problem(at, "a service is a mapping", "write its image:, command: ..."))
            continue
        node = _node(str(name), service, place[name], folder, at, result.problems)
        if node is not None:
            result.nodes.append(node)
    return result


def _node(name: str, service: dict[str, Any], provider: str, folder: Path, at: FieldPath,
          problems: list[Problem]) -> dict[str, Any] | None:
    unsupported = [key for key in service if key not in SUPPORTED and not str(key).startswith("x-")]
    for key in unsupported:
        problems.append(Problem((*at, key), f"service key '{key}' is not supported",
                                WHY_NOT.get(key, f"remove it, or describe this node in the topology instead "
                                                 f"(supported: {', '.join(SUPPORTED)})")))
    node: dict[str, Any] = {"name": name, "provider": provider}
    if "image" in service:
        node["image"] = _text(service["image"])
    if "build" in service:
        node["build"] = _build(service["build"], folder, (*at, "build"), problems)
    for key in ("command", "entrypoint"):
        if key in service:
            value = service[key]
            node[key] = _text(value) if isinstance(value, str) else [_text(v) for v in value or []]
    environment = _env_files(service.get("env_file"), folder, (*at, "env_file"), problems)
    environment.update(_environment(service.get("environment"), (*at, "environment"), problems))
    if environment:
        node["env"] = environment
    ports = _ports(service.get("ports"), (*at, "ports"), problems) + _ports(service.get("expose"), (*at, "expose"),
                                                                            problems)
    node["ports"] = list(dict.fromkeys(ports))
    if "depends_on" in service:
        depends = service["depends_on"]
        node["depends_on"] = list(depends) if isinstance(depends, dict | list) else [depends]
    if "healthcheck" in service:
        ready = _healthcheck(service["healthcheck"], (*at, "healthcheck"), problems)
        if ready is not None:
            node["ready"] = ready
    if "volumes" in service:
        node["volumes"] = _volumes(service["volumes"], (*at, "volumes"), problems)
    if "cpus" in service:
        node["cpus"] = float(service["cpus"])
    if "mem_limit" in service:
        node["memory"] = str(service["mem_limit"])
    if "hostname" in service and service["hostname"] != name:
        problems.append(Problem((*at, "hostname"), "a node's hostname is its service name",
                                "remove hostname, or rename the service"))
    return node


def _text(value: Any) -> str:
    """Compose's interpolation from the environment: $VAR, ${VAR}, ${VAR:-default} (unset or
    empty) and ${VAR-default} (unset only); $$ is a dollar."""
    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        value = os.environ.get(match.group("braced") or match.group("bare"))
        default = match.group("default") or ""
        if value is None or (not value and match.group("colon")):
            return default
        return value

    return _VARIABLE.sub(substitute, str(value))


def _build(value: Any, folder: Path, at: FieldPath, problems: list[Problem]) -> str | None:
    if isinstance(value, str):
        return str(folder / value)
    if isinstance(value, dict):
        extra = [key for key in value if key != "context"]
        if extra:
            problems.append(Problem((*at, extra[0]), f"build key '{extra[0]}' is not supported",
                                    "use a folder with a file named Dockerfile as build: (or build.context)"))
        return str(folder / str(value.get("context", ".")))
    problems.append(Problem(at, "build is a folder", "write build: ./folder"))
    return None


def _environment(value: Any, at: FieldPath, problems: list[Problem]) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): "" if v is None else _text(v) for k, v in value.items()}
    if isinstance(value, list):
        environment = {}
        for index, item in enumerate(value):
            key, sep, raw = str(item).partition("=")
            if not sep:
                problems.append(Problem((*at, index), f"'{item}' takes its value from the host, which a "
                                        "repeatable run must not", f"write {key}=value"))
                continue
            environment[key] = _text(raw)
        return environment
    problems.append(Problem(at, "environment is a mapping or a list of KEY=value", "write KEY: value"))
    return {}


def _env_files(value: Any, folder: Path, at: FieldPath, problems: list[Problem]) -> dict[str, str]:
    files = [value] if isinstance(value, str) else list(value or [])
    environment: dict[str, str] = {}
    for index, name in enumerate(files):
        path = folder / str(name)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            problems.append(Problem((*at, index) if len(files) > 1 else at, f"cannot read {path}: {exc.strerror}",
                                    "point env_file at a file beside the compose file"))
            continue
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, raw = line.partition("=")
                environment[key.strip()] = raw.strip().strip("'\"")
    return environment


def _ports(value: Any, at: FieldPath, problems: list[Problem]) -> list[int]:
    """The container side of each port: the fabric carries it; the harness publishes it on
    127.0.0.1 at a port of its own choosing."""
    ports: list[int] = []
    for index, item in enumerate(value or []):
        if isinstance(item, dict):
            target = item.get("target")
        else:
            text = str(item).split("/")[0]
            target = text.rsplit(":", 1)[-1]
        try:
            port = int(str(target))
        except ValueError:
            problems.append(Problem((*at, index), f"'{item}' names no single container port",
                                    "write one port, like 6379 or \"16379:6379\" (ranges are not supported)"))
            continue
        if str(item).endswith("/udp"):
            problems.append(Problem((*at, index), "UDP is not carried by the fabric", "remove it"))
            continue
        ports.append(port)
    return ports


def _healthcheck(value: Any, at: FieldPath, problems: list[Problem]) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        problems.append(Problem(at, "healthcheck is a mapping", "write healthcheck: {test: [CMD, ...]}"))
        return None
    for key in value:
        if key not in HEALTHCHECK_KEYS:
            problems.append(Problem((*at, key), f"healthcheck key '{key}' is not supported",
                                    f"use {', '.join(HEALTHCHECK_KEYS)}"))
    if value.get("disable"):
        return None
    test = value.get("test")
    if isinstance(test, str):
        argv = ["sh", "-c", _text(test)]
    elif isinstance(test, list) and test and test[0] in ("CMD", "CMD-SHELL"):
        argv = [_text(t) for t in test[1:]] if test[0] == "CMD" else ["sh", "-c", _text(" ".join(map(str, test[1:])))]
    else:
        problems.append(Problem((*at, "test"), "the test is [CMD, ...], [CMD-SHELL, ...] or a string",
                                "write test: [CMD, redis-cli, ping]"))
        return None
    try:
        interval = parse_duration(str(value.get("interval", "30s")))
        start = parse_duration(str(value.get("start_period", "0s")))
    except ValueError as exc:
        problems.append(Problem(at, f"{exc}", "write durations like 5s or 1m30s"))
        return None
    retries = int(value.get("retries", 3))
    # Compose calls a service unhealthy after start_period and `retries` failed checks.
    return {"exec": argv, "timeout": f"{max(DEFAULT_READY_S, start + interval * retries):g}s"}


def _volumes(value: Any, at: FieldPath, problems: list[Problem]) -> dict[str, str]:
    volumes: dict[str, str] = {}
    for index, item in enumerate(value or []):
        source, target = (item.get("source"), item.get("target")) if isinstance(item, dict) \
            else (str(item).split(":") + [""])[:2]
        if not source or not target or "/" in str(source) or str(source).startswith("."):
            problems.append(Problem((*at, index), f"'{item}' is not a named volume",
                                    "bind mounts make a run depend on this machine: use a named volume "
                                    "(data:/var/lib/data), or build the files into the image"))
            continue
        volumes[str(source)] = str(target)
    return volumes


TOPOLOGY_KEYS = ("compose", "place", "providers", "nodes", "local_images")


def expand_topology(raw: Any, folder: Path, at: FieldPath) -> tuple[Any, list[Problem]]:
    """A scenario's topology given as ``compose:`` + ``place:`` turned into providers and nodes
    (problems in the scenario's own part come back with their path; the compose file's raise)."""
    if not isinstance(raw, dict) or "compose" not in raw:
        return raw, []
    problems = [Problem((*at, key), f"a compose topology takes no '{key}'",
                        f"use {', '.join(TOPOLOGY_KEYS)}") for key in raw if key not in TOPOLOGY_KEYS]
    place = raw.get("place")
    if not isinstance(place, dict) or not place:
        problems.append(Problem((*at, "place"), "a compose topology needs place: {service: provider, ...}",
                                "name the provider of every service"))
        return raw, problems
    if problems:
        return raw, problems
    nodes = load_compose(folder / str(raw["compose"]), {str(k): str(v) for k, v in place.items()})
    providers = dict(raw.get("providers") or {})
    for provider in place.values():
        providers.setdefault(provider, {})
    expanded = {"providers": providers, "nodes": nodes + list(raw.get("nodes") or [])}
    if "local_images" in raw:
        expanded["local_images"] = raw["local_images"]
    return expanded, []
