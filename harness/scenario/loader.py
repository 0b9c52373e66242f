"""Loading scenario files: YAML in, a validated Scenario or a ScenarioError with file and line out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from harness.scenario.errors import FieldPath, Problem, ScenarioError
from harness.scenario.imports import resolve_import
from harness.scenario.model import Scenario
from harness.scenario.pydantic_errors import problems_from_validation
from harness.scenario.topology_checks import raw_topology_problems
from harness.topology import Topology

# Aliases can expand a small file into a huge structure; no scenario comes near this.
MAX_VALUES = 200_000


def load_scenario(path: str | Path, check_imports: bool = True) -> Scenario:
    """Read and validate a scenario file; every problem is reported with its line.

    ``check_imports`` also imports every extension point (``use:``) so a typo
    fails here, before any container starts.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError.single((), f"cannot read the file: {exc}", "check the path", file=str(path)) from None
    return parse_scenario(text, source=str(path), check_imports=check_imports)


def parse_scenario(text: str, source: str = "<scenario>", check_imports: bool = True) -> Scenario:
    tree = _read_yaml(text, source)

    def line_of(path: FieldPath) -> int | None:
        return _line_of(tree, path)

    data = _plain(tree, source)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc.errors(), Scenario), source).located(
            source, line_of
        ) from None
    except ScenarioError as exc:
        raise exc.located(source, line_of) from None
    except RecursionError:
        raise ScenarioError.single((), "the document nests too deeply", "flatten it", source, 1) from None
    if check_imports:
        problems = _import_problems(scenario)
        if problems:
            raise ScenarioError(problems, source).located(source, line_of)
    return scenario


def load_topology(path: str | Path) -> Topology:
    """A topology file (providers and nodes), or a scenario file's `topology:`,
    with the same file-and-line errors as scenarios."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError.single((), f"cannot read the file: {exc}", "check the path", file=str(path)) from None
    tree = _read_yaml(text, str(path))
    at: FieldPath = ("topology",) if "topology" in tree else ()
    data = _plain(tree, str(path))
    if at:
        data = data["topology"]

    def line_of(sub: FieldPath) -> int | None:
        return _line_of(tree, (*at, *sub))

    problems = raw_topology_problems({"topology": data})
    if problems:
        stripped = [replace(p, path=p.path[1:]) for p in problems]
        raise ScenarioError(stripped, str(path)).located(str(path), line_of)
    try:
        return Topology.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc.errors(), Topology), str(path)).located(
            str(path), line_of) from None


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


def _line_of(tree: Any, path: FieldPath) -> int:
    """The 1-based line of the deepest part of `path` present in the file."""
    node, line = tree, 1
    for part in path:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line = node.lc.item(part)[0] + 1
            else:
                break
        except (KeyError, TypeError, AttributeError):
            break
        node = node[part]
    return line


def _import_problems(scenario: Scenario) -> list[Problem]:
    uses: list[tuple[FieldPath, str]] = []
    for index, entry in enumerate(scenario.timeline):
        if entry.action is not None and entry.action.kind == "custom":
            uses.append((("timeline", index, "action", "use"), entry.action.use))
    for index, probe in enumerate(scenario.probes.custom):
        uses.append((("probes", "custom", index, "use"), probe.use))
    for index, invariant in enumerate(scenario.invariants):
        if invariant.kind == "custom":
            uses.append((("invariants", index, "use"), invariant.use))
    problems = []
    for path, use in uses:
        try:
            resolve_import(use)
        except ImportError as exc:
            problems.append(Problem(path, str(exc), "fix the import path or install the package"))
    return problems
