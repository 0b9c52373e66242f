"""Which node lives in which hosting provider, and what each node is.

A topology names providers (each becomes a Docker network) and nodes (each a
container in exactly one provider). A node is any image: ``image:`` or
``build:``, with its ``command``, ``entrypoint``, ``env``, the ``ports`` it
listens on (each reachable from the other providers through the fabric, under
the node's name), ``host_ports`` (published to this machine only, never carried
across providers), a ``ready:`` check, and its size. ``role:`` is a shorthand a
system registers (``role: smtp``): it fills in the image, command, environment,
ports and readiness check when the stack starts, and may take settings of its
own (a proxy's ``spare``), written beside the node's other fields.
"""

from __future__ import annotations

import re
import shlex
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from harness.extensions import ROLES
from harness.fields import Duration, invalid

# A DNS label: nodes are reached by these names from every provider.
NodeName = Annotated[str, Field(pattern=r"^[a-z]([a-z0-9-]{0,40}[a-z0-9])?$")]
ProviderName = Annotated[str, Field(pattern=r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")]
Port = Annotated[int, Field(ge=1, le=65535)]
# What a role fills in itself: a node of a role that gives these is refused.
ROLE_FIELDS = ("image", "build", "command", "entrypoint", "ready")
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmg]?)b?$", re.IGNORECASE)
_MEMORY_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def _argv(value: Any) -> Any:
    """A command as a list, or as one string split as a shell would (compose's two forms)."""
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise invalid(f"cannot split the command {value!r}: {exc}", "write it as a list of arguments") from None
    return value


def _text_values(value: Any) -> Any:
    """Environment values as strings: YAML reads 3 and true as numbers and booleans."""
    if isinstance(value, dict):
        return {key: str(v).lower() if isinstance(v, bool) else str(v) for key, v in value.items()}
    return value


def memory_bytes(text: str) -> int:
    match = _MEMORY.match(text.strip())
    if match is None:
        raise ValueError(text)
    return int(float(match[1]) * _MEMORY_UNITS[match[2].lower()])


def _memory(value: Any) -> Any:
    if value is None:
        return value
    try:
        memory_bytes(str(value))
    except ValueError:
        raise invalid(f"{value!r} is not an amount of memory", "write it like 256m or 1g") from None
    return str(value)


Argv = Annotated[list[str], BeforeValidator(_argv)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TcpReady(Strict):
    port: Port | None = None  # default: the node's first port


class HttpReady(Strict):
    port: Port | None = None  # default: the node's first port
    path: str = "/"
    status: int = Field(default=200, ge=100, le=599)


class Readiness(Strict):
    """How the host tells a node is ready: exactly one check, passing within ``timeout``."""

    tcp: TcpReady | None = None
    http: HttpReady | None = None
    log: str | None = None  # a regular expression the node's output matches once ready
    exec: Argv | None = None  # a command run inside the node that exits 0 once ready
    timeout: Duration = Field(default=90.0, gt=0)

    @field_validator("log")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise invalid(f"{pattern!r} is not a regular expression: {exc}", "escape special characters") from None
        return pattern

    @model_validator(mode="after")
    def _exactly_one(self) -> Readiness:
        given = [name for name in ("tcp", "http", "log", "exec") if getattr(self, name) is not None]
        if len(given) != 1:
            raise invalid(f"a readiness check is exactly one of tcp, http, log or exec (got {len(given)})",
                          "e.g. ready: {tcp: {port: 6379}} or ready: {log: 'Ready to accept'}")
        return self

    @property
    def kind(self) -> str:
        return next(name for name in ("tcp", "http", "log", "exec") if getattr(self, name) is not None)


class Provider(Strict):
    description: str = ""
    # A vantage point keeps its links when the provider it looks at is cut.
    vantage: bool = False


class Node(BaseModel):
    # Unknown fields are a role's own settings, checked against the role's schema.
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    name: NodeName
    provider: ProviderName
    role: str | None = None
    image: str | None = None
    build: str | None = None  # a folder with a Dockerfile, relative to the scenario file
    command: Argv | None = None
    entrypoint: Argv | None = None
    env: Annotated[dict[str, str], BeforeValidator(_text_values)] = Field(default_factory=dict)
    ports: list[Port] = Field(default_factory=list)
    host_ports: list[Port] = Field(default_factory=list)
    ready: Readiness | None = None
    public: bool | None = None  # reachable from "the internet" (the public network)
    floating: bool | None = None  # holds the floating IP when the stack starts
    cpus: float | None = Field(default=None, gt=0, le=64)
    memory: Annotated[str | None, BeforeValidator(_memory)] = None
    volumes: dict[str, str] = Field(default_factory=dict)  # per-run named volume -> mount path
    depends_on: list[NodeName] = Field(default_factory=list)
    _role_settings: Any = PrivateAttr(default=None)

    @field_validator("ports", "host_ports")
    @classmethod
    def _once_each(cls, ports: list[int]) -> list[int]:
        repeated = sorted({p for p in ports if ports.count(p) > 1})
        if repeated:
            raise invalid(f"port {repeated[0]} is listed twice", "list each port once")
        return ports

    @field_validator("volumes")
    @classmethod
    def _volumes(cls, volumes: dict[str, str]) -> dict[str, str]:
        for name, mount in volumes.items():
            if not re.match(r"^[a-z0-9][a-z0-9_.-]{0,62}$", name):
                raise invalid(f"{name!r} is not a volume name", "use lowercase letters, digits, '.', '_' and '-'")
            if not mount.startswith("/"):
                raise invalid(f"volume '{name}' mounts at {mount!r}, not an absolute path", "write e.g. /data")
        return volumes

    @model_validator(mode="after")
    def _image_or_role(self) -> Node:
        if self.role is None:
            if (self.image is None) == (self.build is None):
                raise invalid(f"node '{self.name}' needs exactly one of image, build or role",
                              "e.g. image: redis:7.2, build: ./my-service, or role: smtp")
            if self.options:
                field = next(iter(self.options))
                raise invalid(f"node '{self.name}' has unknown field '{field}'",
                              "known fields: " + ", ".join(sorted(Node.model_fields)))
            return self
        if self.role not in ROLES:
            raise invalid(f"node '{self.name}' has unknown role '{self.role}'",
                          f"use one of: {', '.join(ROLES.names())}, or give image: and ports: instead")
        given = [name for name in ROLE_FIELDS if getattr(self, name) is not None]
        if given:
            raise invalid(f"node '{self.name}' has role '{self.role}', which fills in {', '.join(given)} itself",
                          f"drop {', '.join(given)}, or drop the role and describe the node fully")
        self._role_settings = _role_options(self, ROLES[self.role].options)
        return self

    @property
    def role_settings(self) -> Any:
        """This node's role's own settings, as the role's schema (None without a role or settings)."""
        return self._role_settings

    @property
    def options(self) -> dict[str, Any]:
        """The fields only this node's role knows (validated against the role)."""
        return dict(self.model_extra or {})

    @property
    def is_public(self) -> bool:
        return bool(self.public)

    @property
    def port(self) -> int | None:
        """The node's main port: its first."""
        return self.ports[0] if self.ports else None


class LocalImage(Strict):
    """What stands in for an upstream image in the local profile, where nothing can be pulled."""

    debian: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9+.-]+$")]] = Field(min_length=1)


class Topology(Strict):
    providers: dict[ProviderName, Provider]
    nodes: list[Node] = Field(min_length=1)
    # Upstream images (as nodes name them) -> their stand-ins in the local profile.
    local_images: dict[str, LocalImage] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Topology:
        seen: set[str] = set()
        for node in self.nodes:
            if node.name in seen:
                raise invalid(f"node name '{node.name}' is used twice", "give every node its own name")
            seen.add(node.name)
            if node.provider not in self.providers:
                known = ", ".join(sorted(self.providers))
                raise invalid(f"node '{node.name}' lives in unknown provider '{node.provider}'",
                              f"declare it under providers (known: {known})")
        _apply_roles(self)
        _check_dependencies(self)
        return self

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        known = ", ".join(n.name for n in self.nodes)
        raise KeyError(f"no node named '{name}' in the topology (known: {known})")

    def nodes_in(self, provider: str) -> list[Node]:
        return [n for n in self.nodes if n.provider == provider]

    def by_role(self, *roles: str) -> list[Node]:
        return [n for n in self.nodes if n.role in roles]

    def port_of(self, name: str) -> int:
        port = self.node(name).port
        if port is None:
            raise KeyError(f"node '{name}' listens on no port")
        return port


def _apply_roles(topology: Topology) -> None:
    """Fill in what each node's role gives: default ports (first free from the role's own),
    public, the floating IP, and the nodes it needs; check the role's own settings."""
    taken = {port for node in topology.nodes for port in node.ports}
    for node in topology.nodes:
        if node.role is None:
            continue
        role = ROLES[node.role]
        if not node.ports:
            for default in role.ports:
                port = default
                while port in taken:
                    port += 1
                taken.add(port)
                node.ports.append(port)
        if node.public is None:
            node.public = role.public
        if node.floating is None and role.floating is not None:
            node.floating = role.floating(node.role_settings)
        needed = [n.name for n in topology.nodes if n.role in role.needs and n.name not in node.depends_on]
        node.depends_on.extend(needed)


def _role_options(node: Node, schema: type[BaseModel] | None) -> BaseModel | None:
    if schema is None:
        if node.options:
            field = next(iter(node.options))
            raise invalid(f"role '{node.role}' takes no setting '{field}' (node '{node.name}')",
                          "remove it")
        return None
    try:
        return schema.model_validate(node.options)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        known = "its settings: " + ", ".join(sorted(schema.model_fields))
        if error["type"] == "extra_forbidden":
            raise invalid(f"role '{node.role}' takes no setting '{where}' (node '{node.name}')", known) from None
        raise invalid(f"node '{node.name}', setting '{where}' of role '{node.role}': {error['msg']}", known) from None


def _check_dependencies(topology: Topology) -> None:
    names = {n.name for n in topology.nodes}
    for node in topology.nodes:
        for needed in node.depends_on:
            if needed not in names:
                raise invalid(f"node '{node.name}' depends on unknown node '{needed}'",
                              f"known nodes: {', '.join(sorted(names))}")
            if needed == node.name:
                raise invalid(f"node '{node.name}' depends on itself", "remove it from depends_on")
    start_layers(topology)


def start_layers(topology: Topology) -> list[list[Node]]:
    """The nodes in the order they start: each layer once every node it depends on is up."""
    pending = {n.name: n for n in topology.nodes}
    done: set[str] = set()
    layers: list[list[Node]] = []
    while pending:
        layer = [n for n in pending.values() if set(n.depends_on) <= done]
        if not layer:
            cycle = ", ".join(sorted(pending))
            raise invalid(f"nodes {cycle} depend on each other in a circle", "break the circle in depends_on")
        layers.append(layer)
        for node in layer:
            done.add(node.name)
            del pending[node.name]
    return layers
