"""Providers as networks, links as proxies: how a router failure becomes real.

A link is directed: "from provider Q to node n" (n lives elsewhere). Inside Q's
Docker network the name of n resolves to the Toxiproxy container, which
listens there on n's port and forwards to the real n. Cutting a set of links
is therefore all a provider outage, a router failure or a partition is.

Two ways to cut, because they fail differently for the client:
``refuse``: the proxy is disabled: connections are refused, open ones reset.
``blackhole``: a timeout toxic that never fires: connections open, then no
byte ever arrives (packets vanish, as when the 2018 router failed).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from harness.errors import HarnessError
from harness.fabric.toxiproxy import ToxiproxyClient
from harness.topology import Topology

BLACKHOLE_TOXIC = "blackhole"
STREAMS = ("upstream", "downstream")


class CutMode(StrEnum):
    REFUSE = "refuse"
    BLACKHOLE = "blackhole"


@dataclass(frozen=True, order=True)
class Link:
    """Traffic from any node in ``provider`` to ``node`` (which lives elsewhere)."""

    provider: str
    node: str

    @property
    def proxy_name(self) -> str:
        return f"{self.provider}__{self.node}"


# Toxics a scenario may put on a link, with the attributes Toxiproxy expects.
TOXIC_KINDS = {
    "latency": ("latency", "jitter"),
    "bandwidth": ("rate",),
    "reset_peer": ("timeout",),
    "slow_close": ("delay",),
    "timeout": ("timeout",),
    "slicer": ("average_size", "size_variation", "delay"),
    "limit_data": ("bytes",),
}


class Fabric:
    def __init__(
        self,
        topology: Topology,
        toxiproxy: ToxiproxyClient,
        proxy_address: dict[str, str],
        upstream_host: dict[str, str],
    ) -> None:
        """``proxy_address``: Toxiproxy's IP in each provider network.
        ``upstream_host``: a name for each node that is never aliased to the proxy."""
        self.topology = topology
        self.toxiproxy = toxiproxy
        self._proxy_address = proxy_address
        self._upstream_host = upstream_host
        self._cut: dict[Link, CutMode] = {}
        self._toxics: dict[str, set[Link]] = {}

    @property
    def links(self) -> list[Link]:
        return sorted(
            Link(provider, node.name)
            for provider in self.topology.providers
            for node in self.topology.nodes
            if node.provider != provider
        )

    def install(self) -> None:
        """Create every link's proxy, enabled and clean."""
        self.toxiproxy.populate([
            {
                "name": link.proxy_name,
                "listen": f"{self._proxy_address[link.provider]}:{self.topology.port_of(link.node)}",
                "upstream": f"{self._upstream_host[link.node]}:{self.topology.port_of(link.node)}",
                "enabled": True,
            }
            for link in self.links
        ])

    def proxy_address(self, provider: str) -> str:
        """Toxiproxy's address inside a provider's network."""
        self._check_provider(provider)
        return self._proxy_address[provider]

    # Which links a fault touches.

    def link(self, provider: str, node: str) -> Link:
        self._check_provider(provider)
        if self.topology.node(node).provider == provider:
            raise HarnessError(f"'{node}' lives in '{provider}': no link crosses a provider boundary",
                               "name a provider other than the node's own")
        return Link(provider, node)

    def links_of_provider(self, provider: str, spare: Iterable[str] = ()) -> list[Link]:
        """Every link into or out of ``provider``, except those with a spared provider."""
        self._check_provider(provider)
        spared = set(spare)
        for name in spared:
            self._check_provider(name)
        home = {n.name for n in self.topology.nodes_in(provider)}
        return [
            link
            for link in self.links
            if (link.node in home and link.provider not in spared)
            or (link.provider == provider and self.topology.node(link.node).provider not in spared)
        ]

    def links_between(self, a: str, b: str, one_way: bool = False) -> list[Link]:
        """Links from ``a`` to nodes in ``b``, and back unless ``one_way``."""
        self._check_provider(a)
        self._check_provider(b)
        pairs = {(a, b)} if one_way else {(a, b), (b, a)}
        return [
            link for link in self.links
            if (link.provider, self.topology.node(link.node).provider) in pairs
        ]

    def links_into(self, node: str, from_providers: Iterable[str] | None = None) -> list[Link]:
        home = self.topology.node(node).provider
        sources = set(self.topology.providers) if from_providers is None else set(from_providers)
        for name in sources:
            self._check_provider(name)
        return [Link(p, node) for p in sorted(sources) if p != home]

    # Cutting and healing. Each returns how long the change took, in ms.

    def cut(self, links: Iterable[Link], mode: CutMode = CutMode.REFUSE) -> float:
        todo = [link for link in links if link not in self._cut]
        started = time.perf_counter()
        for link in todo:
            if mode is CutMode.REFUSE:
                self.toxiproxy.set_enabled(link.proxy_name, False)
            else:
                for stream in STREAMS:
                    self.toxiproxy.add_toxic(link.proxy_name, f"{BLACKHOLE_TOXIC}_{stream}", "timeout",
                                             {"timeout": 0}, stream=stream)
            self._cut[link] = mode
        return (time.perf_counter() - started) * 1000

    def restore(self, links: Iterable[Link]) -> float:
        todo = [(link, self._cut[link]) for link in links if link in self._cut]
        started = time.perf_counter()
        for link, mode in todo:
            if mode is CutMode.REFUSE:
                self.toxiproxy.set_enabled(link.proxy_name, True)
            else:
                for stream in STREAMS:
                    self.toxiproxy.remove_toxic(link.proxy_name, f"{BLACKHOLE_TOXIC}_{stream}")
            del self._cut[link]
        return (time.perf_counter() - started) * 1000

    def add_toxic(self, name: str, kind: str, links: Iterable[Link], stream: str = "downstream",
                  toxicity: float = 1.0, **attributes: Any) -> float:
        if kind not in TOXIC_KINDS:
            raise HarnessError(f"unknown toxic '{kind}'", f"use one of: {', '.join(TOXIC_KINDS)}")
        unknown = set(attributes) - set(TOXIC_KINDS[kind])
        if unknown:
            raise HarnessError(
                f"toxic '{kind}' has no attribute {', '.join(sorted(unknown))}",
                f"its attributes are: {', '.join(TOXIC_KINDS[kind])}",
            )
        if stream not in STREAMS:
            raise HarnessError(f"unknown stream '{stream}'", "use upstream or downstream")
        targets = list(links)
        started = time.perf_counter()
        for link in targets:
            self.toxiproxy.add_toxic(link.proxy_name, name, kind, attributes, stream=stream, toxicity=toxicity)
        self._toxics.setdefault(name, set()).update(targets)
        return (time.perf_counter() - started) * 1000

    def remove_toxic(self, name: str) -> float:
        started = time.perf_counter()
        targets = self._toxics.pop(name, set())
        for link in targets:
            self.toxiproxy.remove_toxic(link.proxy_name, name)
        return (time.perf_counter() - started) * 1000

    def heal_all(self) -> None:
        """Every link enabled and clean, whatever the run did; then check it."""
        self.toxiproxy.reset()
        self._cut.clear()
        self._toxics.clear()
        left = self.leftovers()
        if left:
            raise HarnessError(f"links still degraded after healing: {', '.join(left)}",
                               "inspect the toxiproxy container; this is a harness bug")

    def leftovers(self) -> list[str]:
        """Proxies still disabled or carrying a toxic."""
        return sorted(
            name for name, proxy in self.toxiproxy.proxies().items()
            if not proxy.get("enabled", True) or proxy.get("toxics")
        )

    def _check_provider(self, name: str) -> None:
        if name not in self.topology.providers:
            known = ", ".join(sorted(self.topology.providers))
            raise HarnessError(f"unknown provider '{name}'", f"use one of: {known}")
