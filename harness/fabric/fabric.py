"""Providers as networks, links as proxies: how a router failure becomes real.

A link is directed: "from provider Q to port p of node n" (n lives elsewhere).
Inside Q's Docker network the name of n resolves to a Toxiproxy container,
which listens there on p and forwards to the real n. Cutting a set of links is
therefore all a provider outage, a router failure or a partition is.

One Toxiproxy container can stand in for two nodes only if they listen on
different ports (it has one address per network), so the nodes are dealt into
shards, each its own Toxiproxy container, such that no two nodes of a shard
share a port (``plan_shards``). A stack whose ports are all distinct has one.

Two ways to cut, because they fail differently for the client:
``refuse``: the proxy is disabled: connections are refused, open ones reset.
``blackhole``: a timeout toxic that never fires: connections open, then no
byte ever arrives (packets vanish, as when the 2018 router failed).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
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
    """Traffic from any node in ``provider`` to ``port`` of ``node`` (which lives elsewhere)."""

    provider: str
    node: str
    port: int

    @property
    def proxy_name(self) -> str:
        return f"{self.provider}__{self.node}__{self.port}"


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


def plan_shards(topology: Topology) -> list[list[str]]:
    """Nodes dealt into as few Toxiproxy shards as their ports allow: a node goes into the
    first shard holding none of its ports. Nodes without ports need no proxy."""
    shards: list[tuple[list[str], set[int]]] = []
    for node in topology.nodes:
        if not node.ports:
            continue
        ports = set(node.ports)
        home = next((shard for shard in shards if not shard[1] & ports), None)
        if home is None:
            home = ([], set())
            shards.append(home)
        home[0].append(node.name)
        home[1].update(ports)
    return [names for names, _ in shards]


@dataclass(frozen=True)
class Shard:
    """One Toxiproxy container: its API and its address in each provider network."""

    client: ToxiproxyClient
    addresses: dict[str, str]


class Fabric:
    def __init__(self, topology: Topology, shards: list[Shard], nodes_of_shard: list[list[str]],
                 upstream_host: dict[str, str]) -> None:
        """``upstream_host``: a name for each node that is never aliased to a proxy."""
        self.topology = topology
        self._shard_of = {node: shards[index] for index, names in enumerate(nodes_of_shard) for node in names}
        self._shards = shards
        self._upstream_host = upstream_host
        self._cut: dict[Link, CutMode] = {}
        self._toxics: dict[str, set[Link]] = {}

    @property
    def links(self) -> list[Link]:
        return sorted(
            Link(provider, node.name, port)
            for provider in self.topology.providers
            for node in self.topology.nodes
            if node.provider != provider
            for port in node.ports
        )

    def install(self) -> None:
        """Create every link's proxy, enabled and clean: one call per shard."""
        by_shard: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for link in self.links:
            shard = self._shard_of[link.node]
            by_shard[id(shard)].append({
                "name": link.proxy_name,
                "listen": f"{shard.addresses[link.provider]}:{link.port}",
                "upstream": f"{self._upstream_host[link.node]}:{link.port}",
                "enabled": True,
            })
        for shard in self._shards:
            if by_shard[id(shard)]:
                shard.client.populate(by_shard[id(shard)])

    # Which links a fault touches.

    def links_of_node(self, provider: str, node: str) -> list[Link]:
        """Every port of ``node`` as reached from ``provider``."""
        self._check_provider(provider)
        spec = self.topology.node(node)
        if spec.provider == provider:
            raise HarnessError(f"'{node}' lives in '{provider}': no link crosses a provider boundary",
                               "name a provider other than the node's own")
        return [Link(provider, node, port) for port in spec.ports]

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
        return [link for p in sorted(sources) if p != home for link in self.links_of_node(p, node)]

    # Cutting and healing. Each returns how long the change took, in ms.

    def cut(self, links: Iterable[Link], mode: CutMode = CutMode.REFUSE) -> float:
        todo = [link for link in links if link not in self._cut]
        started = time.perf_counter()
        for link in todo:
            client = self._client(link)
            if mode is CutMode.REFUSE:
                client.set_enabled(link.proxy_name, False)
            else:
                for stream in STREAMS:
                    client.add_toxic(link.proxy_name, f"{BLACKHOLE_TOXIC}_{stream}", "timeout",
                                     {"timeout": 0}, stream=stream)
            self._cut[link] = mode
        return (time.perf_counter() - started) * 1000

    def restore(self, links: Iterable[Link]) -> float:
        todo = [(link, self._cut[link]) for link in links if link in self._cut]
        started = time.perf_counter()
        for link, mode in todo:
            client = self._client(link)
            if mode is CutMode.REFUSE:
                client.set_enabled(link.proxy_name, True)
            else:
                for stream in STREAMS:
                    client.remove_toxic(link.proxy_name, f"{BLACKHOLE_TOXIC}_{stream}")
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
            self._client(link).add_toxic(link.proxy_name, name, kind, attributes, stream=stream,
                                         toxicity=toxicity)
        self._toxics.setdefault(name, set()).update(targets)
        return (time.perf_counter() - started) * 1000

    def remove_toxic(self, name: str) -> float:
        started = time.perf_counter()
        targets = self._toxics.pop(name, set())
        for link in targets:
            self._client(link).remove_toxic(link.proxy_name, name)
        return (time.perf_counter() - started) * 1000

    def heal_all(self) -> None:
        """Every link enabled and clean, whatever the run did; then check it."""
        with ThreadPoolExecutor(max_workers=max(1, len(self._shards))) as pool:
            list(pool.map(lambda shard: shard.client.reset(), self._shards))
        self._cut.clear()
        self._toxics.clear()
        left = self.leftovers()
        if left:
            raise HarnessError(f"links still degraded after healing: {', '.join(left)}",
                               "inspect the toxiproxy containers; this is a harness bug")

    def leftovers(self) -> list[str]:
        """Proxies still disabled or carrying a toxic."""
        return sorted(
            name for shard in self._shards for name, proxy in shard.client.proxies().items()
            if not proxy.get("enabled", True) or proxy.get("toxics")
        )

    def _client(self, link: Link) -> ToxiproxyClient:
        return self._shard_of[link.node].client

    def _check_provider(self, name: str) -> None:
        if name not in self.topology.providers:
            known = ", ".join(sorted(self.topology.providers))
            raise HarnessError(f"unknown provider '{name}'", f"use one of: {known}")
