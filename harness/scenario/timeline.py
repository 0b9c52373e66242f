"""Timeline entries: the faults, operator actions and loads a scenario plays.

Every entry has an ``id``, an ``at: t+...`` offset and an optional ``for:``
duration; both are incident time and are multiplied by the run's time scale.
Everything else in an entry (an action's ``interval``, a load's ``rate``,
latencies injected by a fault) is real time and never scaled.

The kinds themselves are registered schemas (harness.faults, harness.actions,
harness.loads and the systems'); ``timeline_entry_model`` builds the entry
schema from whatever is registered.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, create_model, model_validator

from harness.extensions import ACTIONS, FAULTS, LOADS
from harness.fields import Duration, Identifier, Offset, invalid
from harness.scenario.spec import Spec, Strict


class TimelineEntry(Strict):
    """One thing that happens at ``at``: exactly one of ``fault``, ``action`` or ``load``."""

    id: Identifier
    at: Offset
    for_: Duration | None = Field(default=None, alias="for")
    fault: Spec | None = None
    action: Spec | None = None
    load: Spec | None = None

    @model_validator(mode="after")
    def _exactly_one_thing(self) -> TimelineEntry:
        given = [name for name in ("fault", "action", "load") if getattr(self, name) is not None]
        if len(given) != 1:
            raise invalid(
                f"a timeline entry needs exactly one of fault, action or load (got {len(given)})",
                "split it into one entry per fault, action or load",
            )
        if self.for_ is not None and not self.lasts:
            raise invalid(f"'for' makes no sense on {self.category} '{self.what}': it happens once", "remove 'for'")
        return self

    @property
    def category(self) -> Literal["fault", "action", "load"]:
        if self.fault is not None:
            return "fault"
        return "action" if self.action is not None else "load"

    @property
    def spec(self) -> Any:
        """The fault, action or load itself."""
        return self.fault or self.action or self.load

    @property
    def what(self) -> str:
        """Its kind, e.g. "router-failure"."""
        return str(self.spec.kind)

    @property
    def lasts(self) -> bool:
        """Whether it stays in force for a while (a fault or load) or happens once (an action,
        or an instant fault such as a restart)."""
        return self.action is None and not getattr(self.spec, "instant", False)


def timeline_entry_model() -> type[TimelineEntry]:
    """The entry schema over every registered fault, action and load kind."""
    return create_model(
        "TimelineEntry",
        __base__=TimelineEntry,
        fault=(FAULTS.union() | None, None),
        action=(ACTIONS.union() | None, None),
        load=(LOADS.union() | None, None),
    )
