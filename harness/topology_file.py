"""Read a topology from YAML: a bare topology, a scenario file's `topology:`, or a compose file
and a placement file (`outage up --compose FILE --place FILE`)."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from harness.errors import HarnessError
from harness.scenario.errors import ScenarioError
from harness.scenario.loader import load_topology as _load
from harness.scenario.loader import topology_from
from harness.topology import Topology


def load_topology(path: Path) -> Topology:
    """Errors name the file, line and field, as a HarnessError (exit status 2)."""
    try:
        return _load(path)
    except ScenarioError as err:
        raise HarnessError(str(err)) from None


def compose_topology(compose: Path, place: Path) -> Topology:
    """A compose file's services placed in providers. The placement file maps each service to
    its provider, either bare ({service: provider}) or as a topology's compose form without the
    compose key ({place: {...}, providers: {...}, local_images: {...}})."""
    try:
        raw = YAML(typ="safe").load(place.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise HarnessError(f"cannot read the placement file {place}: {exc}",
                           "give a YAML file mapping each service to its provider") from None
    if not isinstance(raw, dict):
        raise HarnessError(f"{place} is not a mapping", "write one line per service: `redis-1: east`")
    form = raw if "place" in raw else {"place": raw}
    try:
        return topology_from({"compose": str(compose.resolve()), **form}, str(place), place.parent)
    except ScenarioError as err:
        raise HarnessError(str(err)) from None
