"""TCP probe: a connection to each target every period; ok when it is accepted in time."""

from __future__ import annotations

import socket
import time
from typing import ClassVar, Literal

from pydantic import Field

from harness.events import EventKind
from harness.extensions import PROBES
from harness.fields import Duration
from harness.history import History
from harness.probes import PeriodicProbe, ProbeContext, Target, TargetedProbeSpec

TCP_CONNECT = EventKind("tcp.connect", "the target: a node's name, or 'floating'",
                        "port, timed_out, error (None when the connection was accepted)")


@PROBES.register
class TcpProbeSpec(TargetedProbeSpec):
    """Connect to each target's port (default: its first) every period."""

    kind: Literal["tcp"]
    observes: ClassVar[EventKind] = TCP_CONNECT
    timeout: Duration = Field(default=2.0, gt=0)

    def judged_timeout(self) -> float | None:
        return self.timeout

    def start(self, ctx: ProbeContext) -> list[PeriodicProbe]:
        return [TcpConnector(self, ctx.history, target, self.port_of(ctx, target))
                for target in ctx.targets(self.targets)]


class TcpConnector(PeriodicProbe):
    def __init__(self, spec: TcpProbeSpec, history: History, target: Target, port: int) -> None:
        super().__init__(spec.id, history, spec.every)
        self.name = f"probe-{spec.id}-{target.name}"
        self.spec, self.target, self.port = spec, target, port

    def observe(self) -> None:
        sent_at = self.history.now()
        started = time.perf_counter()
        error: str | None = None
        timed_out = False
        try:
            with socket.create_connection((self.target.address, self.port), timeout=self.spec.timeout):
                pass
        except TimeoutError:
            timed_out, error = True, "timed out"
        except OSError as err:
            error = f"{type(err).__name__}: {err}"
        self.history.record(TCP_CONNECT, self.target.name, error is None, source=self.spec.id, t=sent_at,
                            latency_ms=(time.perf_counter() - started) * 1000, port=self.port,
                            timed_out=timed_out, error=error)
