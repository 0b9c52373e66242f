"""An SMTP flood from many source addresses, legitimate mail mixed in, replayed with Locust."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field

from harness.events import EventKind
from harness.extensions import LOADS
from harness.fields import Duration
from harness.load.flood import FloodRunner
from harness.loads import LoadContext, LoadSpec, RunningLoad
from harness.probes.smtp import SMTP_SEND
from harness.scenario.errors import Problem
from harness.scenario.spec import FLOATING, Scope


@LOADS.register
class Flood(LoadSpec):
    """SMTP attempts from ``attackers`` distinct source IPs to the ``targets`` (SMTP nodes),
    legitimate mail mixed in, every message addressed to ``domain``.

    ``rate`` and ``legit_rate`` are per real second (not scaled); the flood
    stops at its ``for:`` or after ``total`` attempts, whichever comes first.
    ``ramp`` is the time to reach full rate and is scaled like ``for:``.
    """

    kind: Literal["flood"]
    observes: ClassVar[EventKind] = SMTP_SEND  # its legitimate senders' messages
    targets: list[str] = Field(min_length=1)
    domain: str = Field(pattern=r"^[A-Za-z0-9.-]+$")
    attackers: int = Field(ge=1, le=250)
    total: int = Field(ge=1)
    rate: float = Field(gt=0)
    ramp: Duration = 0.0
    legit_rate: float = Field(default=0.0, ge=0)
    # Concurrent SMTP sessions per attacker and per server (default: sized from the
    # rate). A slow server throttles a closed loop; more sessions keep the pressure on.
    connections: int | None = Field(default=None, ge=1, le=64)

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.targets(("targets",), self.targets, floating=False)
        for name in scope.target_nodes(self.targets):
            if name != FLOATING and name in scope.nodes and not scope.topology.node(name).is_public:
                yield Problem(("targets",), f"node '{name}' is not public, so no attacker can reach it",
                              "flood public nodes (an smtp role is public), or set public: true")

    def start(self, ctx: LoadContext) -> RunningLoad:
        return FloodRunner(web_ui=ctx.web_ui, connections=self.connections, say=ctx.say).start(
            ctx.stack, self, ctx.history, ctx.seed, ctx.out_dir, load_id=ctx.load_id,
            duration_s=ctx.duration_s, time_scale=ctx.time_scale)
