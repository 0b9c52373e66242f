"""Faults: what goes wrong, one kind per module, each registered by its ``kind``.

A fault kind is a schema (``FaultSpec``) that checks its own references and
``apply``-es itself to a running stack, returning how to revert it. Each
reports how many links (or nodes) it touched and how long the change took,
measured around the calls that make it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from harness.fabric import CutMode, Fabric, Link
from harness.scenario.spec import Spec

if TYPE_CHECKING:
    from harness.explore.space import Space
    from harness.stack import Stack
    from harness.topology import Topology


@dataclass
class AppliedFault:
    links: int
    apply_ms: float
    revert: Callable[[], float]  # undoes the fault; returns how long that took, in ms


@dataclass
class FaultContext:
    stack: Stack
    entry_id: str
    # Operator actions a fault in force refuses (a provider's maintenance block).
    blocked_actions: set[str] = field(default_factory=set)

    @property
    def fabric(self) -> Fabric:
        assert self.stack.fabric is not None, "the stack is not started"
        return self.stack.fabric


class FaultSpec(Spec):
    """A fault kind. Besides applying itself, a kind the explorer may use draws a random fault
    of its kind (``draw``) and names the faults that cut less than one of its own
    (``narrower``), which shrinking tries."""

    # True for a fault that happens once (a restart): it takes no ``for:``.
    instant: ClassVar[bool] = False

    def apply(self, ctx: FaultContext) -> AppliedFault:
        raise NotImplementedError

    @classmethod
    def draw(cls, rng: random.Random, space: Space) -> dict[str, Any] | None:
        """A random fault of this kind within ``space``, as a scenario writes it (None: none fits)."""
        return None

    @classmethod
    def can_draw(cls) -> bool:
        return cls.draw.__func__ is not FaultSpec.draw.__func__  # type: ignore[attr-defined]

    def narrower(self, topology: Topology) -> list[dict[str, Any]]:
        """Faults that cut a part of what this one cuts, as a scenario writes them."""
        return []


def cut(fabric: Fabric, links: list[Link], mode: CutMode) -> AppliedFault:
    return AppliedFault(len(links), fabric.cut(links, mode), lambda: fabric.restore(links))


def toxic(fabric: Fabric, name: str, kind: str, links: list[Link], **attributes: int) -> AppliedFault:
    return AppliedFault(len(links), fabric.add_toxic(name, kind, links, **attributes),
                        lambda: fabric.remove_toxic(name))


def timed(do: Callable[[], object], undo: Callable[[], object]) -> AppliedFault:
    """A change of one node (or of policy), timed both ways."""

    def measure(action: Callable[[], object]) -> float:
        started = time.perf_counter()
        action()
        return (time.perf_counter() - started) * 1000

    return AppliedFault(1, measure(do), lambda: measure(undo))


def links_towards(ctx: FaultContext, source: str, target: str) -> list[Link]:
    """Links from provider ``source`` to node ``target`` or to every node of provider ``target``."""
    if target in ctx.stack.topology.providers:
        return ctx.fabric.links_between(source, target, one_way=True)
    return ctx.fabric.links_into(target, [source])
