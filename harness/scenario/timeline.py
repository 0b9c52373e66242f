"""Timeline entries: the faults, operator actions and load a scenario plays.

Every entry has an ``id``, an ``at: t+...`` offset and an optional ``for:``
duration; both are incident time and are multiplied by the run's time scale.
Everything else in an entry (an action's ``interval``, a load's ``rate``,
latencies injected by a fault) is real time and never scaled.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.scenario.fields import Duration, Identifier, ImportPath, Offset, invalid
from harness.topology import Role


class Strict(BaseModel):
    """Unknown keys are errors, and Python-keyword fields are written by their YAML name."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# ---- faults -----------------------------------------------------------------


class ProviderOutage(Strict):
    """Every link between ``provider`` and the other providers goes down.

    Providers in ``except`` keep their links (a vantage point such as the 2018
    office). ``blackhole``: packets vanish (connections hang); ``refuse``:
    connections are refused at once.
    """

    kind: Literal["provider-outage"]
    provider: str
    except_: list[str] = Field(default_factory=list, alias="except")
    mode: Literal["blackhole", "refuse"] = "blackhole"


class RouterFailure(ProviderOutage):
    """A router inside ``provider`` fails: the same links as an outage, nodes inside keep talking."""

    kind: Literal["router-failure"]  # type: ignore[assignment]


class Partition(Strict):
    """Cut the links between two providers or nodes; ``one-way`` cuts only first -> second."""

    kind: Literal["partition"]
    between: Annotated[list[str], Field(min_length=2, max_length=2)]
    direction: Literal["both", "one-way"] = "both"

    @field_validator("between")
    @classmethod
    def _two_sides(cls, between: list[str]) -> list[str]:
        if between[0] == between[1]:
            raise invalid(
                f"a partition needs two different sides, got '{between[0]}' twice",
                "name two providers or nodes: between: [a, b]",
            )
        return between


class Latency(Strict):
    """Add ``latency`` (± ``jitter``, real time) on links from a provider to a node or provider."""

    kind: Literal["latency"]
    from_: str = Field(alias="from")
    to: str
    latency: Duration
    jitter: Duration = 0.0


class Bandwidth(Strict):
    """Throttle links from a provider to a node or provider to ``rate_kbps``."""

    kind: Literal["bandwidth"]
    from_: str = Field(alias="from")
    to: str
    rate_kbps: int = Field(gt=0)


class ResetPeer(Strict):
    """Reset every connection on links from a provider to a node or provider."""

    kind: Literal["reset-peer"]
    from_: str = Field(alias="from")
    to: str


class Kill(Strict):
    """Kill a node's container; with ``for:`` it is started again afterwards."""

    kind: Literal["kill"]
    node: str


class Pause(Strict):
    """Freeze a node (SIGSTOP-like); with ``for:`` it resumes afterwards."""

    kind: Literal["pause"]
    node: str


class Restart(Strict):
    """Restart a node once (takes no ``for:``)."""

    kind: Literal["restart"]
    node: str


class MaintenanceBlock(Strict):
    """The provider refuses changes: while in force, operator action ``blocks`` fails."""

    kind: Literal["maintenance-block"]
    blocks: str


Fault = Annotated[
    ProviderOutage
    | RouterFailure
    | Partition
    | Latency
    | Bandwidth
    | ResetPeer
    | Kill
    | Pause
    | Restart
    | MaintenanceBlock,
    Field(discriminator="kind"),
]

INSTANT_FAULTS = (Restart,)

# ---- operator actions -------------------------------------------------------


class RestartRole(Strict):
    """Restart every node of ``role`` one after another, ``interval`` (real time) apart."""

    kind: Literal["restart-role"]
    role: Role
    interval: Duration = 5.0


class BlockIps(Strict):
    """Add IPs to the SMTP blocklist: listed ``ips``, or the attackers of flood ``from_load``."""

    kind: Literal["block-ips"]
    ips: list[str] | None = None
    from_load: str | None = None

    @field_validator("ips")
    @classmethod
    def _addresses(cls, ips: list[str] | None) -> list[str] | None:
        for ip in ips or []:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise invalid(f"'{ip}' is not an IP address", "write addresses like 203.0.113.7") from None
        return ips

    @model_validator(mode="after")
    def _one_source(self) -> BlockIps:
        if (self.ips is None) == (self.from_load is None):
            raise invalid(
                "block-ips needs exactly one of 'ips' and 'from_load'",
                "list the addresses (ips: [203.0.113.7]) or name the flood (from_load: flood)",
            )
        return self


class MoveFloatingIp(Strict):
    """Move the front's floating IP to proxy node ``to`` (the 2018 hot-spare plan)."""

    kind: Literal["move-floating-ip"]
    to: str


class CustomAction(Strict):
    """Call ``use`` ("package.module:callable") with ``args``."""

    kind: Literal["custom"]
    use: ImportPath
    args: dict[str, Any] = Field(default_factory=dict)


Action = Annotated[
    RestartRole | BlockIps | MoveFloatingIp | CustomAction, Field(discriminator="kind")
]

# ---- load -------------------------------------------------------------------


class Flood(Strict):
    """SMTP attempts from ``attackers`` distinct source IPs, legitimate mail mixed in.

    ``rate`` and ``legit_rate`` are per real second (not scaled); the flood
    stops at its ``for:`` or after ``total`` attempts, whichever comes first.
    ``ramp`` is the time to reach full rate and is scaled like ``for:``.
    """

    kind: Literal["flood"]
    attackers: int = Field(ge=1, le=250)
    total: int = Field(ge=1)
    rate: float = Field(gt=0)
    ramp: Duration = 0.0
    legit_rate: float = Field(default=0.0, ge=0)
    # Concurrent SMTP sessions per attacker and per server (default: sized from the
    # rate). A slow server throttles a closed loop; more sessions keep the pressure on.
    connections: int | None = Field(default=None, ge=1, le=64)


class ApiUsers(Strict):
    """API users on the public network, ``rate`` requests per real second through the front."""

    kind: Literal["api-users"]
    rate: float = Field(gt=0)


Load = Annotated[Flood | ApiUsers, Field(discriminator="kind")]

# ---- entries ----------------------------------------------------------------


class TimelineEntry(Strict):
    """One thing that happens at ``at``: exactly one of ``fault``, ``action`` or ``load``."""

    id: Identifier
    at: Offset
    for_: Duration | None = Field(default=None, alias="for")
    fault: Fault | None = None
    action: Action | None = None
    load: Load | None = None

    @model_validator(mode="after")
    def _exactly_one_thing(self) -> TimelineEntry:
        given = [name for name in ("fault", "action", "load") if getattr(self, name) is not None]
        if len(given) != 1:
            raise invalid(
                f"a timeline entry needs exactly one of fault, action or load (got {len(given)})",
                "split it into one entry per fault, action or load",
            )
        if self.for_ is not None and (self.action is not None or isinstance(self.fault, INSTANT_FAULTS)):
            raise invalid(
                f"'for' makes no sense on {self.category} '{self.what}': it happens once",
                "remove 'for'",
            )
        return self

    @property
    def category(self) -> Literal["fault", "action", "load"]:
        if self.fault is not None:
            return "fault"
        return "action" if self.action is not None else "load"

    @property
    def spec(self) -> BaseModel:
        """The fault, action or load itself."""
        return self.fault or self.action or self.load  # type: ignore[return-value]

    @property
    def what(self) -> str:
        """Its kind, e.g. "router-failure"."""
        return str(self.spec.kind)  # type: ignore[attr-defined]

    @property
    def lasts(self) -> bool:
        """Whether it stays in force for a while (a fault or load) or happens once (an action)."""
        return self.action is None and not isinstance(self.fault, INSTANT_FAULTS)
