"""What one load process is told to do: its targets and its share of the rate and count.

The master passes the whole load's figures as command-line options; each
worker takes its share by its index (Locust numbers workers 0..n-1 as they
connect), so the shares add up to exactly the total.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Target:
    name: str  # the SMTP node's name in the topology, or the sink's
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.name}={self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Share:
    rate: float
    total: int


def parse_targets(text: str) -> list[Target]:
    """``name=address:port,...``; only loopback and private addresses (the stack's own networks)."""
    targets: list[Target] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, endpoint = item.partition("=")
        host, _, port = endpoint.rpartition(":")
        try:
            address = ipaddress.ip_address(host)
            number = int(port)
        except ValueError:
            raise ValueError(f"target {item!r} is not name=address:port") from None
        if not (address.is_private or address.is_loopback):
            raise ValueError(f"target {item!r} is not on a private network: floods only go to the "
                             "harness's own containers")
        targets.append(Target(name, host, number))
    if not targets:
        raise ValueError("no SMTP targets given (name=address:port,...)")
    return targets


def share_of(rate: float, total: int, index: int, workers: int) -> Share:
    """Worker ``index``'s part of ``rate`` and ``total`` among ``workers``."""
    workers = max(1, workers)
    index %= workers
    return Share(rate / workers, total // workers + (1 if index < total % workers else 0))
