"""Faults: what goes wrong, one kind per module, each registered by its ``kind``.

A fault kind is a schema (``FaultSpec``) that checks its own references and
``apply``-es itself to a running stack, returning how to revert it. Each
reports how many links (or nodes) it touched and how long the change took,
measured around the calls that make it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from harness.fabric import CutMode, Fabric, Link
from harness.scenario.spec import Spec

if TYPE_CHECKING:
    from harness.stack import Stack


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
    # True for a fault that happens once (a restart): it takes no ``for:``.
    instant: ClassVar[bool] = False

    def apply(self, ctx: FaultContext) -> AppliedFault:
        raise NotImplementedError


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
