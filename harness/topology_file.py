"""Read a topology from YAML: a bare topology, or a scenario file's `topology:`."""

from __future__ import annotations

from pathlib import Path

from harness.errors import HarnessError
from harness.scenario.errors import ScenarioError
from harness.scenario.loader import load_topology as _load
from harness.topology import Topology


def load_topology(path: Path) -> Topology:
    """Errors name the file, line and field, as a HarnessError (exit status 2)."""
    try:
        return _load(path)
    except ScenarioError as err:
        raise HarnessError(str(err)) from None
