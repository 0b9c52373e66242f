"""Extension points: every kind a scenario can name registers here, from its own module.

One registry per kind of thing: node roles, faults, operator actions, loads,
probes, invariants, report charts and stack set-ups. A kind is one module that
defines its scenario schema (a pydantic model whose ``kind`` is a Literal), what
it does, and registers itself, as Toxiproxy registers each toxic in its own
file; nothing else lists it. The core's generic kinds live in the packages
``harness.faults``, ``harness.actions``, ``harness.probes`` and
``harness.invariants`` and are found by walking them. Systems (the mail stack,
MongoDB, your own) are packages that register theirs: the built-in ones under
``systems/``, others through the ``outage_harness.systems`` entry point group or
a scenario's ``extensions:`` list.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar, Union, get_args

from pydantic import BaseModel, Field

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.report.charts import Chart
    from harness.roles import Role, StackSetup

T = TypeVar("T")
ENTRY_POINT_GROUP = "outage_harness.systems"
# The core's own kinds: every module of these packages registers one or more.
CORE_KIND_PACKAGES = ("harness.faults", "harness.actions", "harness.loads", "harness.probes",
                      "harness.invariants")
BUILTIN_SYSTEMS = "systems"


class Registry(Generic[T]):
    """The kinds of one extension point, by name."""

    def __init__(self, what: str, name_of: Callable[[T], str]) -> None:
        self.what = what
        self._name_of = name_of
        self._items: dict[str, T] = {}

    def register(self, item: T) -> T:
        """Add a kind (usable as a class decorator); a name taken by another kind is an error."""
        name = self._name_of(item)
        if self._items.get(name, item) is not item:
            raise HarnessError(f"{self.what} '{name}' is registered twice",
                               "give the second one another name")
        if name not in self._items:
            global _version
            _version += 1
        self._items[name] = item
        return item

    def __getitem__(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise KeyError(f"unknown {self.what} '{name}' (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def names(self) -> list[str]:
        return sorted(self._items)

    def values(self) -> list[T]:
        return [self._items[name] for name in self.names()]

    def union(self) -> Any:
        """The registered schemas as one pydantic type, told apart by their ``kind``."""
        models = tuple(self.values())
        if len(models) == 1:
            return models[0]
        return Annotated[Union[models], Field(discriminator="kind")]  # noqa: UP007 - a runtime tuple


def kind_of(model: type[BaseModel]) -> str:
    """The name a schema registers under: the value of its ``kind: Literal[...]`` field."""
    values = get_args(model.model_fields["kind"].annotation)
    if len(values) != 1 or not isinstance(values[0], str):
        raise HarnessError(f"{model.__name__}.kind must be a Literal of one string", "write kind: Literal['name']")
    return values[0]


ROLES: Registry[Role] = Registry("role", lambda role: role.name)
SETUPS: Registry[StackSetup] = Registry("stack set-up", lambda setup: setup.name)
FAULTS: Registry[type[BaseModel]] = Registry("fault kind", kind_of)
ACTIONS: Registry[type[BaseModel]] = Registry("action kind", kind_of)
LOADS: Registry[type[BaseModel]] = Registry("load kind", kind_of)
PROBES: Registry[type[BaseModel]] = Registry("probe kind", kind_of)
INVARIANTS: Registry[type[BaseModel]] = Registry("invariant kind", kind_of)
CHARTS: Registry[Chart] = Registry("chart", lambda chart: chart.name)

_loaded = False
_version = 0


def load_kinds() -> None:
    """Register the core's kinds, the built-in systems and the installed ones (once)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for package in (*CORE_KIND_PACKAGES, BUILTIN_SYSTEMS):
        for module in _modules_of(package):
            importlib.import_module(module)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry_point.load()
        except Exception as exc:  # noqa: BLE001 - someone else's package: say which, do not crash
            raise HarnessError(f"the installed system '{entry_point.name}' ({entry_point.value}) failed to "
                               f"load: {type(exc).__name__}: {exc}",
                               "fix or uninstall that package") from None


def _modules_of(package: str) -> Iterator[str]:
    root = importlib.import_module(package)
    yield package
    for info in pkgutil.iter_modules(root.__path__, prefix=f"{package}."):
        yield info.name


def use_scenario_folder(folder: Path) -> None:
    """Put a scenario's folder on the import path, so its ``extensions:`` and ``use:`` can name
    modules that sit beside it (as pytest puts a test's folder on the path)."""
    entry = str(folder.resolve())
    if entry not in sys.path:
        sys.path.insert(0, entry)
        importlib.invalidate_caches()


def registry_version() -> int:
    """Changes whenever a kind registers: schemas built from the registries are rebuilt then."""
    return _version
