"""Loading scenario files: YAML in, a validated Scenario or a ScenarioError with file and line out."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from harness.compose import expand_topology
from harness.errors import HarnessError
from harness.extensions import load_kinds, use_scenario_folder
from harness.scenario.errors import FieldPath, Problem, ScenarioError, line_in
from harness.scenario.imports import resolve_import
from harness.scenario.model import Scenario, format_problems, scenario_model
from harness.scenario.pydantic_errors import problems_from_validation
from harness.scenario.topology_checks import raw_topology_problems
from harness.topology import Topology

# Aliases can expand a small file into a huge structure; no scenario comes near this.
MAX_VALUES = 200_000


def load_scenario(path: str | Path, check_imports: bool = True) -> Scenario:
    """Read and validate a scenario file; every problem is reported with its line.

    The file's folder goes on the import path, so its ``extensions:`` and ``use:``
    can name modules beside it. ``check_imports`` also imports every ``use:`` so a
    typo fails here, before any container starts; ``build:`` folders must hold a
    Dockerfile.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError.single((), f"cannot read the file: {exc}", "check the path", file=str(path)) from None
    return parse_scenario(text, source=str(path), check_imports=check_imports, folder=file.parent)


def parse_scenario(text: str, source: str = "<scenario>", check_imports: bool = True,
                   folder: Path | None = None) -> Scenario:
    tree = _read_yaml(text, source)

    def line_of(path: FieldPath) -> int | None:
        return line_in(tree, path)

    data = _plain(tree, source)
    # A file of another format is refused before anything reads it as this one.
    problems = format_problems(data)
    if problems:
        raise ScenarioError(problems, source).located(source, line_of)
    load_kinds()
    if folder is not None:
        use_scenario_folder(folder)
    problems = _extension_problems(data.get("extensions")) + _expand_compose(data, folder or Path.cwd())
    if problems:
        raise ScenarioError(problems, source).located(source, line_of)
    model = scenario_model()
    try:
        scenario = model.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc.errors(), model), source).located(
            source, line_of
        ) from None
    except ScenarioError as exc:
        raise exc.located(source, line_of) from None
    except RecursionError:
        raise ScenarioError.single((), "the document nests too deeply", "flatten it", source, 1) from None
    problems = (_import_problems(scenario) if check_imports else [])
    if folder is not None:
        problems += build_problems(scenario, folder)
    if problems:
        raise ScenarioError(problems, source).located(source, line_of)
    return scenario


def load_topology(path: str | Path) -> Topology:
    """A topology file (providers and nodes, or compose: and place:), or a scenario file's
    `topology:`, with the same file-and-line errors as scenarios."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError.single((), f"cannot read the file: {exc}", "check the path", file=str(path)) from None
    tree = _read_yaml(text, str(path))
    at: FieldPath = ("topology",) if "topology" in tree else ()
    data = _plain(tree, str(path))
    return topology_from(data["topology"] if at else data, str(path), file.parent,
                         lambda sub: line_in(tree, (*at, *sub)))


def topology_from(data: Any, source: str, folder: Path,
                  line_of: Callable[[FieldPath], int | None] = lambda _: None) -> Topology:
    """Validate topology data read from ``source`` (a compose form is expanded from ``folder``)."""
    load_kinds()
    data, problems = expand_topology(data, folder, ("topology",))
    problems += raw_topology_problems({"topology": data})
    if problems:
        stripped = [replace(p, path=p.path[1:]) for p in problems]
        raise ScenarioError(stripped, source).located(source, line_of)
    try:
        return Topology.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc.errors(), Topology), source).located(
            source, line_of) from None


def _read_yaml(text: str, source: str) -> Any:
    try:
        tree = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError.single((), f"invalid YAML: {problem}",
                                   "fix the YAML syntax (indentation, colons, quotes)", source, line) from None
    except (YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise ScenarioError.single((), f"invalid YAML: {exc}", "fix the YAML syntax", source, 1) from None
    if not isinstance(tree, CommentedMap):
        raise ScenarioError.single((), "a scenario file must be a mapping (name:, seed:, topology:, ...)",
                                   "start from one of the files in scenarios/", source, 1)
    return tree


def _plain(tree: Any, source: str) -> Any:
    """The YAML tree as plain Python values (ruamel's scalar subclasses and mapping types removed)."""
    count = 0

    def convert(node: Any, inside: frozenset[int]) -> Any:
        nonlocal count
        count += 1
        if count > MAX_VALUES:
            raise ScenarioError.single((), f"the document expands to more than {MAX_VALUES} values",
                                       "remove the aliases that multiply it", source, 1)
        if isinstance(node, dict | list | tuple):
            if id(node) in inside:
                raise ScenarioError.single((), "a YAML alias refers to itself",
                                           "remove the recursive anchor", source, 1)
            inside = inside | {id(node)}
            if isinstance(node, dict):
                return {convert(k, inside): convert(v, inside) for k, v in node.items()}
            if isinstance(node, tuple):  # a complex mapping key
                return tuple(convert(v, inside) for v in node)
            return [convert(v, inside) for v in node]
        for plain in (bool, int, float, str):
            if isinstance(node, plain):
                return plain(node)
        return node

    try:
        return convert(tree, frozenset())
    except RecursionError:
        raise ScenarioError.single((), "the document nests too deeply", "flatten it", source, 1) from None


def _expand_compose(data: Any, folder: Path) -> list[Problem]:
    """Topologies written as a compose file and placements, made providers and nodes in place."""
    problems = []
    if "topology" in data:
        data["topology"], found = expand_topology(data["topology"], folder, ("topology",))
        problems += found
    architectures = data.get("architectures")
    for name, architecture in (architectures.items() if isinstance(architectures, dict) else []):
        if isinstance(architecture, dict) and "topology" in architecture:
            at = ("architectures", name, "topology")
            architecture["topology"], found = expand_topology(architecture["topology"], folder, at)
            problems += found
    return problems


def _extension_problems(extensions: Any) -> list[Problem]:
    """Import each module a scenario names under ``extensions:`` (they register kinds it uses)."""
    problems = []
    for index, module in enumerate(extensions if isinstance(extensions, list) else []):
        if not isinstance(module, str):
            continue  # the schema says what is wrong with it
        try:
            importlib.import_module(module)
        except HarnessError as exc:
            problems.append(Problem(("extensions", index), str(exc)))
        except Exception as exc:  # noqa: BLE001 - someone else's module: report it, do not crash
            problems.append(Problem(("extensions", index), f"importing '{module}' failed: {type(exc).__name__}: {exc}",
                                    "write a module beside the scenario file, or an installed package"))
    return problems


def _import_problems(scenario: Scenario) -> list[Problem]:
    """Every ``use:`` import path of the timeline, probes and invariants, imported."""
    uses: list[tuple[FieldPath, str]] = []
    specs: list[tuple[FieldPath, Any]] = [(("timeline", i, e.category), e.spec) for i, e in enumerate(scenario.timeline)]
    specs += [(("probes", i), p) for i, p in enumerate(scenario.probes)]
    specs += [(("invariants", i), v) for i, v in enumerate(scenario.invariants)]
    for path, spec in specs:
        use = getattr(spec, "use", None)
        if isinstance(use, str):
            uses.append(((*path, "use"), use))
    problems = []
    for path, use in uses:
        try:
            resolve_import(use)
        except ImportError as exc:
            problems.append(Problem(path, str(exc), "fix the import path or install the package"))
    return problems


def build_problems(scenario: Scenario, folder: Path) -> list[Problem]:
    """Every ``build:`` folder exists and holds a Dockerfile."""
    topologies = [(("topology",), scenario.topology)]
    topologies += [(("architectures", name, "topology"), a.topology)
                   for name, a in scenario.architectures.items() if a.topology is not None]
    problems = []
    for at, topology in topologies:
        for index, node in enumerate(topology.nodes):
            if node.build is not None and not (folder / node.build / "Dockerfile").is_file():
                problems.append(Problem((*at, "nodes", index, "build"),
                                        f"{folder / node.build} holds no Dockerfile",
                                        "point build: at a folder with a Dockerfile, or give image: instead"))
    return problems
