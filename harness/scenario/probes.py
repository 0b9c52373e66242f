"""Probes: what the harness watches continuously. Periods and timeouts are real time (never scaled)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from harness.scenario.fields import Duration, ImportPath
from harness.scenario.timeline import Strict

# API targets: the floating IP through the proxy, every leg directly, or one leg by node name.
FRONT = "front"
LEGS = "legs"


class PeriodicProbe(Strict):
    every: Duration = Field(gt=0)


class SmtpDeliveryProbe(PeriodicProbe):
    """Sends one uniquely identified message every period and checks it lands in the database."""


class ApiProbe(PeriodicProbe):
    """GETs the API through ``targets``: "front", "legs" (each leg directly) or leg names."""

    timeout: Duration = Field(default=5.0, gt=0)
    targets: list[str] = Field(default_factory=lambda: [FRONT, LEGS], min_length=1)


class ReplicaSetProbe(PeriodicProbe):
    """Asks the replica set who is primary, from a vantage point that is never cut."""


class BlocklistProbe(PeriodicProbe):
    """Tries each SMTP server from each blocked IP and records whether it is refused."""


class CustomProbe(PeriodicProbe):
    """``use`` names a probe class ("package.module:Class") built with ``args``."""

    use: ImportPath
    args: dict[str, Any] = Field(default_factory=dict)


class Probes(Strict):
    smtp_delivery: SmtpDeliveryProbe | None = None
    api: ApiProbe | None = None
    replica_set: ReplicaSetProbe | None = None
    blocklist: BlocklistProbe | None = None
    custom: list[CustomProbe] = Field(default_factory=list)
