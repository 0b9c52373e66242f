"""A Flood timeline entry turned into the numbers a run uses, with the bounds every flood obeys."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.loads.flood import Flood

# Bounds on every flood, whatever the scenario says: a flood is a test, not an attack.
MAX_TOTAL = 5_000_000
MAX_DURATION_S = 3 * 3600.0
# One container (one Locust worker, ~60 MB) per attacker address.
MAX_ATTACKERS = 64
# Sampled flood.attempt events per second at full rate, when the caller does not choose.
SAMPLED_EVENTS_PER_S = 20.0
# What one connection is sized to carry; the pool is sized from the rate with it.
ATTEMPTS_PER_CONNECTION_S = 100.0
MAX_CONNECTIONS = 8


@dataclass(frozen=True)
class FloodSettings:
    attackers: int
    rate: float  # attempts per second, all attackers together
    total: int
    duration_s: float  # real seconds; no attempt starts later
    ramp_s: float  # real seconds to full rate
    legit_rate: float
    legit_total: int
    connections: int  # per attacker and per target server
    sample_fraction: float  # of attacker attempts recorded as flood.attempt events
    remote_workers: int  # Locust workers on other machines, each taking a share like an attacker

    @property
    def workers(self) -> int:
        return self.attackers + self.remote_workers


def settle(spec: Flood, *, duration_s: float, time_scale: float = 1.0, connections: int | None = None,
           sample_fraction: float | None = None, targets: int = 5, remote_workers: int = 0) -> FloodSettings:
    """The run's figures for ``spec``: ``duration_s`` is real time (the entry's ``for:`` already
    scaled); ``ramp`` is incident time and scaled here, like ``for:``."""
    if not 0 < duration_s <= MAX_DURATION_S:
        raise HarnessError(f"a flood lasts more than 0 s and at most {MAX_DURATION_S:.0f} s, got {duration_s:g} s",
                           "give the flood entry a `for:` within that bound")
    if spec.total > MAX_TOTAL:
        raise HarnessError(f"a flood sends at most {MAX_TOTAL:,} attempts, got total: {spec.total:,}",
                           f"lower `total` to {MAX_TOTAL:,} or less")
    if spec.attackers > MAX_ATTACKERS:
        raise HarnessError(f"this harness runs one container per attacker, at most {MAX_ATTACKERS}; "
                           f"got attackers: {spec.attackers}", f"use at most {MAX_ATTACKERS} attackers")
    if sample_fraction is not None and not 0 <= sample_fraction <= 1:
        raise HarnessError(f"the sampling fraction is between 0 and 1, got {sample_fraction}",
                           "pass e.g. sample_fraction=0.01 to record one attacker attempt in a hundred")
    # The caller's choice, else the scenario's, else sized from the rate.
    connections = connections if connections is not None else spec.connections
    if connections is not None and not 1 <= connections <= 64:
        raise HarnessError(f"connections per attacker and server must be 1..64, got {connections}",
                           "leave it out to size the pool from the rate")
    if remote_workers < 0:
        raise HarnessError(f"remote workers cannot be negative, got {remote_workers}", "pass 0 or more")
    per_connection = spec.rate / ((spec.attackers + remote_workers) * max(1, targets))
    return FloodSettings(
        attackers=spec.attackers,
        rate=spec.rate,
        total=spec.total,
        duration_s=duration_s,
        ramp_s=min(spec.ramp * time_scale, duration_s),
        legit_rate=spec.legit_rate,
        legit_total=math.ceil(spec.legit_rate * duration_s),
        connections=connections or min(MAX_CONNECTIONS, max(1, math.ceil(per_connection / ATTEMPTS_PER_CONNECTION_S))),
        sample_fraction=(sample_fraction if sample_fraction is not None
                         else min(1.0, SAMPLED_EVENTS_PER_S / spec.rate)),
        remote_workers=remote_workers,
    )
