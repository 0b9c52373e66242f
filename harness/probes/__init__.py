"""Probes: what the harness watches continuously, one kind per module, each registered by ``kind``.

A probe kind is a schema (``ProbeSpec``: an ``id`` the invariants name, and a
period) that starts one or more ``PeriodicProbe`` threads for a run; each
observation is an event in the history, with the probe's id as its source.
Periods and timeouts are real time (never scaled).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from harness.events import EventKind
from harness.fields import Duration, Identifier
from harness.history import History
from harness.scenario.errors import Problem
from harness.scenario.spec import FLOATING, ROLE_PREFIX, Scope, Spec

if TYPE_CHECKING:
    from harness.scenario.resolve import ResolvedRun
    from harness.stack import Stack


class PeriodicProbe(threading.Thread):
    """Calls ``observe()`` every ``every_s`` until stopped; a slow observation
    delays the next one rather than piling up (each observation is bounded by
    its own timeout)."""

    # A probe that sends new work (mail) stops when the timeline ends; an observer
    # keeps watching through the grace, which is for what was already accepted.
    stops_with_timeline: ClassVar[bool] = False

    def __init__(self, name: str, history: History, every_s: float) -> None:
        super().__init__(name=f"probe-{name}", daemon=True)
        self.source = name
        self.history = history
        self.every_s = every_s
        self._stopping = threading.Event()
        self.failure: BaseException | None = None

    def observe(self) -> None:
        raise NotImplementedError

    def finish(self) -> str | None:
        """A last observation once the grace is over (the final count of a ledger); returns a
        line for the operator, or None."""
        return None

    def run(self) -> None:
        next_at = time.monotonic()
        while not self._stopping.is_set():
            try:
                self.observe()
            except Exception as err:  # noqa: BLE001 - kept and re-raised by stop()
                self.failure = err
                return
            next_at = max(next_at + self.every_s, time.monotonic())
            self._stopping.wait(max(0.0, next_at - time.monotonic()))

    def stop(self, timeout_s: float = 15) -> None:
        """Stop, wait for the current observation, and surface a crash as an error."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout_s)
        if self.failure is not None:
            raise RuntimeError(f"{self.name} crashed: {self.failure!r}") from self.failure

    def close(self) -> None:
        """Release connections the probe holds; called after stop() and any later use."""


@dataclass(frozen=True)
class Target:
    """A probe's target as the host reaches it: ``name`` is the event target (a node's name,
    or "floating" for the floating IP), ``node`` the node (None for the floating IP)."""

    name: str
    address: str
    node: str | None


@dataclass
class ProbeContext:
    stack: Stack
    history: History
    run: ResolvedRun

    def targets(self, targets: list[str]) -> list[Target]:
        """Node names, ``role:<role>`` (each node of the role) and ``floating``, as Targets."""
        resolved: list[Target] = []
        for target in targets:
            if target == FLOATING:
                assert self.stack.floating_ip is not None
                resolved.append(Target(FLOATING, self.stack.floating_ip, None))
                continue
            if target.startswith(ROLE_PREFIX):
                names = [n.name for n in self.stack.topology.by_role(target.removeprefix(ROLE_PREFIX))]
            else:
                names = [target]
            resolved += [Target(name, self.stack.address(name), name) for name in names]
        return resolved


class ProbeSpec(Spec):
    id: Identifier
    every: Duration = Field(gt=0)
    # The kind of event an invariant judges this probe by (None: every event it records).
    observes: ClassVar[EventKind | None] = None

    def start(self, ctx: ProbeContext) -> list[PeriodicProbe]:
        """The running probe threads of this spec (not yet started)."""
        raise NotImplementedError

    def judged_timeout(self) -> float | None:
        """The timeout after which a request counts as timed out, for latency bounds."""
        return None


class TargetedProbeSpec(ProbeSpec):
    """A probe of some nodes (or the floating IP): ``targets`` lists them."""

    targets: list[str] = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)  # default: each node's first port

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.targets(("targets",), self.targets)
        if FLOATING in self.targets and self.port is None:
            yield Problem(("port",), "the floating IP has no port of its own",
                          "give the port the floating IP serves on, e.g. port: 80")
        for name in scope.target_nodes(self.targets):
            if name != FLOATING and self.port is None and not scope.topology.node(name).ports:
                yield Problem(("targets",), f"node '{name}' listens on no port", "give port:")

    def port_of(self, ctx: ProbeContext, target: Target) -> int:
        if self.port is not None:
            return self.port
        assert target.node is not None
        return ctx.stack.topology.port_of(target.node)
