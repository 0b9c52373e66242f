"""The event catalogue: every kind of event a run records, declared once.

A kind is declared next to the code that writes it, as a module-level
``EventKind``; the invariants that judge it and the charts that draw it import
that same object, so no kind is a string literal spread over files. The
catalogue (``CATALOGUE``) lists every kind whose module has been imported, with
what its ``target`` names and which keys its ``data`` carries: the history's
reference documentation, after Locust's ``event.py``.

The kinds below are the run's own, written by the runner as it plays a
timeline; probes, loads and systems declare theirs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventKind:
    name: str  # "http.request": what the journal stores
    target: str  # what an event's target names
    data: str  # the keys its data carries, and what they mean

    def __post_init__(self) -> None:
        known = CATALOGUE.setdefault(self.name, self)
        if known != self:
            raise ValueError(f"event kind '{self.name}' is declared twice, differently")

    def __str__(self) -> str:
        return self.name


CATALOGUE: dict[str, EventKind] = {}

FAULT_START = EventKind("fault.start", "the fault's timeline id",
                        "kind, links (how many links or nodes it touched), apply_ms, scheduled_s; "
                        "error when it could not be applied (ok false)")
FAULT_END = EventKind("fault.end", "the fault's timeline id", "kind, apply_ms (to revert), scheduled_s")
ACTION_START = EventKind("action.start", "the action's timeline id", "action (its kind)")
ACTION_END = EventKind("action.end", "the action's timeline id",
                       "action, error (None when it worked), output (what it returned, if anything)")
ACTION_RETRY = EventKind("action.retry", "the action's timeline id", "error (an operator's failed try)")
LOAD_START = EventKind("load.start", "the load's timeline id",
                       "the load's settings as it started; error when it could not start (ok false)")
LOAD_STATS = EventKind("load.stats", "the load's timeline id", "attempts, accepted, refused, errors so far")
LOAD_END = EventKind("load.end", "the load's timeline id", "reason, totals, by_attacker")
NODE_RESTART = EventKind("node.restart", "the node's name", "reason (the action or fault that restarted it)")

# The lifecycle events of each timeline category, by category.
STARTS = {"fault": FAULT_START, "action": ACTION_START, "load": LOAD_START}
ENDS = {"fault": FAULT_END, "action": ACTION_END, "load": LOAD_END}
