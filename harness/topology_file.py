"""Read a topology from YAML: a bare topology, or a scenario file's `topology:`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from harness.errors import HarnessError
from harness.topology import Topology


def load_topology(path: Path) -> Topology:
    if not path.is_file():
        raise HarnessError(f"{path}: no such file", "give the path of a topology or scenario YAML file")
    try:
        document = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except YAMLError as err:
        raise HarnessError(f"{path}: not valid YAML: {err}", "fix the YAML syntax") from err
    if isinstance(document, dict) and "topology" in document:
        document = document["topology"]
        prefix: tuple[Any, ...] = ("topology",)
    else:
        prefix = ()
    if not isinstance(document, dict):
        raise HarnessError(f"{path}: expected a mapping with providers and nodes",
                           "see scenarios/ for examples")
    try:
        return Topology.model_validate(document)
    except ValidationError as err:
        first = err.errors()[0]
        location = first["loc"]
        line = _line_of(document, location)
        field = ".".join(str(p) for p in (*prefix, *location))
        where = f"{path}:{line}" if line else str(path)
        message = first["msg"].removeprefix("Value error, ")
        raise HarnessError(f"{where}: {field}: {message}",
                           "fix that field; `outage up --help` explains the file") from None


def _line_of(document: Any, location: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest part of ``location`` ruamel can place."""
    line: int | None = None
    node = document
    for key in location:
        lc = getattr(node, "lc", None)
        try:
            if lc is not None and isinstance(node, dict) and key in node:
                line = lc.key(key)[0] + 1
            elif lc is not None and isinstance(node, list) and isinstance(key, int):
                line = lc.item(key)[0] + 1
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
    return line
