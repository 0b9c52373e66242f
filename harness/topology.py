"""Which node lives in which hosting provider: the shape a stack is built from.

A topology names providers (each becomes a Docker network) and nodes (each a
container in exactly one provider, listening on a port that is unique across
the whole stack, so the fabric can stand in for any node on that port).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

# A DNS label: nodes are reached by these names from every provider.
NodeName = Annotated[str, Field(pattern=r"^[a-z]([a-z0-9-]{0,40}[a-z0-9])?$")]
ProviderName = Annotated[str, Field(pattern=r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")]


class Role(StrEnum):
    SMTP = "smtp"  # inbound SMTP server (aiosmtpd)
    API = "api"  # one API leg (FastAPI)
    PROXY = "proxy"  # HAProxy front for the API legs
    MONGO = "mongo"  # data-bearing replica-set member
    ARBITER = "arbiter"  # voting, data-less replica-set member
    ECHO = "echo"  # a TCP echo server: the smallest node, for fabric checks
    VANTAGE = "vantage"  # an idle box to look from, like the 2018 office ssh session


DEFAULT_PORTS: dict[Role, int] = {
    Role.SMTP: 2525,
    Role.API: 8001,
    Role.PROXY: 8080,
    Role.MONGO: 27017,
    Role.ARBITER: 27017,
    Role.ECHO: 7001,
    Role.VANTAGE: 9001,
}


class Provider(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    # A vantage point keeps its links when the provider it looks at is cut.
    vantage: bool = False


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NodeName
    role: Role
    provider: ProviderName
    port: int | None = Field(default=None, ge=1024, le=65000)
    # Reachable from the public network ("the internet"): SMTP servers, proxies,
    # API legs (the 2018 workaround used them directly).
    public: bool | None = None
    # A hot-spare proxy starts without the floating IP.
    spare: bool = False
    priority: float | None = Field(default=None, ge=0, le=1000)
    # The host's size, in CPUs: a small VPS leg is the one that times out first.
    cpus: float | None = Field(default=None, gt=0, le=64)
    options: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_public(self) -> bool:
        if self.public is not None:
            return self.public
        return self.role in (Role.SMTP, Role.API, Role.PROXY)


class Topology(BaseModel):
    model_config = ConfigDict(extra="forbid")

    providers: dict[ProviderName, Provider]
    nodes: list[Node] = Field(min_length=1)

    @model_validator(mode="after")
    def _assign_ports_and_check(self) -> Topology:
        names = [n.name for n in self.nodes]
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise ValueError(f"node name '{name}' is used twice; give every node its own name")
            seen.add(name)
        for node in self.nodes:
            if node.provider not in self.providers:
                known = ", ".join(sorted(self.providers))
                raise ValueError(
                    f"node '{node.name}' lives in unknown provider '{node.provider}'; "
                    f"declare it under providers (known: {known})"
                )
        taken: dict[int, str] = {n.port: n.name for n in self.nodes if n.port is not None}
        if len(taken) != sum(1 for n in self.nodes if n.port is not None):
            by_port: dict[int, list[str]] = {}
            for n in self.nodes:
                if n.port is not None:
                    by_port.setdefault(n.port, []).append(n.name)
            clash = next((p, ns) for p, ns in by_port.items() if len(ns) > 1)
            raise ValueError(
                f"nodes {', '.join(clash[1])} both listen on port {clash[0]}; every node needs a "
                "port unique across the stack (the fabric stands in for a node on its port)"
            )
        for node in self.nodes:
            if node.port is None:
                port = DEFAULT_PORTS[node.role]
                while port in taken:
                    port += 1
                node.port = port
                taken[port] = node.name
        return self

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        known = ", ".join(n.name for n in self.nodes)
        raise KeyError(f"no node named '{name}' in the topology (known: {known})")

    def nodes_in(self, provider: str) -> list[Node]:
        return [n for n in self.nodes if n.provider == provider]

    def by_role(self, *roles: Role) -> list[Node]:
        return [n for n in self.nodes if n.role in roles]

    def port_of(self, name: str) -> int:
        port = self.node(name).port
        assert port is not None  # assigned by the validator
        return port
