"""A topology as running containers: networks, the Toxiproxy fabric, the nodes.

Each provider is a Docker network; a node joins its own provider's network
(under its name) and, when public, the public network where "the internet"
(the host, attackers, legitimate senders) reaches it by address. One Toxiproxy
container joins every provider network and carries there the names of the
nodes that live elsewhere (see harness.fabric).
"""

from __future__ import annotations

import ipaddress
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import docker
from docker.errors import APIError
from docker.types import IPAMConfig, IPAMPool
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from harness.errors import HarnessError
from harness.fabric import Fabric
from harness.fabric.toxiproxy import ToxiproxyClient
from harness.runtime.images import ImageSet, Profile
from harness.stack import database
from harness.stack.cleanup import LABEL_NODE, LABEL_ROLE, LABEL_RUN, remove_leftovers
from harness.stack.recipe import Recipe, StackContext
from harness.stack.roles import recipe_for
from harness.topology import Node, Role, Topology

TOXIPROXY_API_PORT = 8474
READY_TIMEOUT_S = 90
PUBLIC = "public"
# Where every network's /24 is taken from (the public one's holds the floating IP).
NETWORK_RANGE = ipaddress.ip_network("172.30.0.0/16")
FLOATING_HOST = 250

Say = Callable[[str], None]


@dataclass(frozen=True)
class NodeAccess:
    """How the host reaches a node: its address on the Docker network, and a
    port published on 127.0.0.1 (what a user on this machine would type)."""

    address: str
    port: int
    published: int
    public_address: str | None


class Stack:
    def __init__(
        self,
        topology: Topology,
        images: ImageSet,
        *,
        client: docker.DockerClient,
        run_id: str | None = None,
        settings: dict[str, str] | None = None,
        say: Say = lambda _: None,
    ) -> None:
        self.topology = topology
        self.images = images
        self.client = client
        self.run_id = run_id or f"r{time.strftime('%H%M%S')}{secrets.token_hex(2)}"
        self.say = say
        self.context = StackContext(topology, images, self.run_id, dict(settings or {}))
        self._networks: dict[str, Network] = {}
        self._containers: dict[str, DockerContainer] = {}
        self._recipes: dict[str, Recipe] = {}
        self.toxiproxy: ToxiproxyClient | None = None
        self.fabric: Fabric | None = None
        self.floating_ip: str | None = None
        self.floating_holder: str | None = None
        self.database_tier: str | None = None

    # Lifecycle.

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> Stack:
        if self.images.profile is Profile.LOCAL:
            testcontainers_config.ryuk_disabled = True
        self.say(f"run {self.run_id}: {len(self.topology.providers)} providers, "
                 f"{len(self.topology.nodes)} nodes")
        self._create_networks()
        self.floating_holder = next(
            (n.name for n in self.topology.by_role(Role.PROXY) if not n.spare), None)
        self._start_toxiproxy()
        self.fabric.install()
        # The database first, as a deployment would: the other services' readiness
        # (HAProxy's checks of /readyz) depends on a replica set with a primary.
        members = database.members(self.topology)
        self._start_nodes(members)
        if members:
            first = members[0]
            self.database_tier = database.describe_tier(self.address(first.name), first.port)
            self.say(f"database tier: {self.database_tier}")
            primary = database.initiate(self.topology, self.address, self.context.settings, self.say)
            self.say(f"replica set has a primary: {primary}")
        self._start_nodes([n for n in self.topology.nodes if n not in members])
        return self

    def stop(self) -> None:
        """Heal every link, then remove everything carrying this run's label."""
        if self.fabric is not None:
            try:
                self.fabric.heal_all()
            except HarnessError as err:
                self.say(f"could not heal the fabric before removal: {err}")
        if self.toxiproxy is not None:
            self.toxiproxy.close()
        containers, networks = remove_leftovers(self.client, self.run_id)
        self.say(f"run {self.run_id}: removed {containers} containers, {networks} networks")

    # Access.

    def access(self, node: str) -> NodeAccess:
        spec = self.topology.node(node)
        attrs = self._container(node).attrs
        networks = attrs["NetworkSettings"]["Networks"]
        home = networks[self._network_name(spec.provider)]["IPAddress"]
        public = networks.get(self._network_name(PUBLIC), {}).get("IPAddress") or None
        published = attrs["NetworkSettings"]["Ports"][f"{spec.port}/tcp"][0]["HostPort"]
        return NodeAccess(home, spec.port, int(published), public)

    def address(self, node: str) -> str:
        """The address the host uses for a node: public if it has one, else home."""
        access = self.access(node)
        return access.public_address or access.address

    def replica_set_states(self) -> dict[str, str]:
        """Each database member's state (PRIMARY, SECONDARY, ARBITER, OTHER, unreachable)."""
        return database.member_states(self.topology, self.address)

    def replica_set_primary(self) -> str | None:
        """The member that says it is primary, if any."""
        return next((name for name, state in self.replica_set_states().items() if state == "PRIMARY"), None)

    @property
    def public_network(self) -> Network:
        """The network "the internet" lives on: load generators join it to reach the stack."""
        return self._networks[PUBLIC]

    def labels(self, **extra: str) -> dict[str, str]:
        """Labels for anything started for this run, so cleanup finds it."""
        return self._labels(**extra)

    def container_name(self, node: str) -> str:
        return f"outage-{self.run_id}-{node}"

    def save_logs(self, folder: Path) -> None:
        """Every node's output, one file each: what a postmortem of the run needs."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, container in self._containers.items():
            try:
                output = container.get_wrapped_container().logs(timestamps=True)
            except docker.errors.DockerException as err:
                output = f"(logs unavailable: {err})".encode()
            (folder / f"{name}.log").write_bytes(output)

    # Node operations (the stack's share of faults and operator actions).

    def restart(self, node: str, timeout_s: int = 10) -> None:
        self._container(node, refresh=False).restart(timeout=timeout_s)
        self._wait_ready([self.topology.node(node)])

    def kill(self, node: str) -> None:
        self._container(node, refresh=False).kill()

    def start_node(self, node: str) -> None:
        self._container(node, refresh=False).start()
        self._wait_ready([self.topology.node(node)])

    def pause(self, node: str) -> None:
        self._container(node, refresh=False).pause()

    def unpause(self, node: str) -> None:
        self._container(node, refresh=False).unpause()

    def exec(self, node: str, argv: list[str], timeout_s: float = 10) -> tuple[int, str]:
        """Run a command inside a node, bounded by ``timeout`` (exit 124 when it fires)."""
        result = self._container(node, refresh=False).exec_run(
            ["timeout", f"{timeout_s:g}", *argv], demux=False)
        return result.exit_code, (result.output or b"").decode(errors="replace")

    def move_floating_ip(self, to: str) -> None:
        """Hand the floating IP to another proxy, as the 2018 recovery plan tried."""
        if self.floating_ip is None or self.floating_holder is None:
            raise HarnessError("this topology has no floating IP", "add a node with role proxy")
        target = self.topology.node(to)
        if target.role is not Role.PROXY:
            raise HarnessError(f"'{to}' is not a proxy", "move the floating IP to a proxy node")
        public = self._network(PUBLIC)
        public.disconnect(self._container(self.floating_holder).id, force=True)
        public.disconnect(self._container(to).id, force=True)
        public.connect(self._container(to).id, ipv4_address=self.floating_ip)
        public.connect(self._container(self.floating_holder).id)
        self.floating_holder = to

    # Bring-up steps.

    def _network_name(self, provider: str) -> str:
        return f"outage-{self.run_id}-{provider}"

    def _labels(self, **extra: str) -> dict[str, str]:
        return {LABEL_RUN: self.run_id, **extra}

    def _network(self, name: str) -> docker.models.networks.Network:
        return self.client.networks.get(self._network_name(name))

    def _create_networks(self) -> None:
        for provider in self.topology.providers:
            self._networks[provider], _ = self._create_network(provider)
        self._networks[PUBLIC], subnet = self._create_network(PUBLIC)
        self.floating_ip = str(subnet.network_address + FLOATING_HOST)

    def _create_network(self, name: str) -> tuple[Network, ipaddress.IPv4Network]:
        """A bridge on the first free /24 of our range. Every network takes a /24 of
        our choosing (Docker's default pools hand out whole /16s, which a few stacks
        at once exhaust), and the public one needs a known subnet for the floating IP."""
        for subnet in NETWORK_RANGE.subnets(new_prefix=24):
            ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=str(subnet))])
            network = Network(docker_network_kw={"labels": self._labels(), "driver": "bridge",
                                                 "ipam": ipam})
            network.name = self._network_name(name)
            try:
                return network.create(), subnet
            except APIError as err:
                if "overlap" in str(err).lower():
                    continue
                raise
        raise HarnessError(f"no free /24 left in {NETWORK_RANGE} for network '{name}'",
                           "remove unused Docker networks (`outage down`, `docker network prune`)")

    def _start_toxiproxy(self) -> None:
        providers = list(self.topology.providers)
        aliases = {
            p: sorted(n.name for n in self.topology.nodes if n.provider != p) for p in providers
        }
        container = (
            DockerContainer(self.images.toxiproxy, command="-host=0.0.0.0")
            .with_name(f"outage-{self.run_id}-toxiproxy")
            .with_network(self._networks[providers[0]])
            .with_network_aliases(*aliases[providers[0]])
            .with_kwargs(labels=self._labels(**{LABEL_ROLE: "toxiproxy"}))
        )
        _publish_on_loopback(container, TOXIPROXY_API_PORT)
        container.start()
        for provider in providers[1:]:
            self._networks[provider].connect(container.get_container_id(), aliases[provider])
        wrapped = container.get_wrapped_container()
        wrapped.reload()
        networks = wrapped.attrs["NetworkSettings"]["Networks"]
        addresses = {p: networks[self._network_name(p)]["IPAddress"] for p in providers}
        port = wrapped.attrs["NetworkSettings"]["Ports"][f"{TOXIPROXY_API_PORT}/tcp"][0]["HostPort"]
        self.toxiproxy = ToxiproxyClient(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                self.toxiproxy.version()
                break
            except HarnessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        upstreams = {n.name: self.container_name(n.name) for n in self.topology.nodes}
        self.fabric = Fabric(self.topology, self.toxiproxy, addresses, upstreams)

    def _start_node(self, node: Node) -> None:
        recipe = recipe_for(node, self.context)
        self._recipes[node.name] = recipe
        container = (
            DockerContainer(recipe.image, command=recipe.command, env=dict(recipe.env))
            .with_name(self.container_name(node.name))
            .with_network(self._networks[node.provider])
            .with_network_aliases(node.name)
            .with_kwargs(
                labels=self._labels(**{LABEL_NODE: node.name, LABEL_ROLE: node.role.value}),
                hostname=node.name,
                init=True,
                **({"nano_cpus": round(node.cpus * 1e9)} if node.cpus else {}),
            )
        )
        for port in (node.port, *recipe.host_ports):
            _publish_on_loopback(container, port)
        container.start()
        self._containers[node.name] = container
        if node.is_public:
            fixed_ip = self.floating_ip if node.name == self.floating_holder else None
            self._network(PUBLIC).connect(container.get_container_id(), ipv4_address=fixed_ip)

    def _start_nodes(self, nodes: list[Node]) -> None:
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="start") as pool:
            list(pool.map(self._start_node, nodes))
        self._wait_ready(nodes)

    def _wait_ready(self, nodes: list[Node]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        pending = {n.name for n in nodes}
        while pending:
            for name in sorted(pending):
                container = self._container(name)
                if container.status in ("exited", "dead"):
                    raise HarnessError(
                        f"node '{name}' exited during start-up; its last output:\n"
                        f"{container.logs(tail=30).decode(errors='replace')}",
                        "fix the node's configuration; `outage up` shows the same output",
                    )
                access = self.access(name)
                if self._recipes[name].ready(access.address, access.port):
                    pending.discard(name)
            if pending and time.monotonic() > deadline:
                logs = "\n".join(
                    f"--- {name}:\n{self._container(name).logs(tail=12).decode(errors='replace')}"
                    for name in sorted(pending))
                raise HarnessError(
                    f"nodes not ready after {READY_TIMEOUT_S} s: {', '.join(sorted(pending))}\n{logs}",
                    "fix what their output above says",
                )
            if pending:
                time.sleep(0.2)

    def _container(self, node: str, refresh: bool = True) -> docker.models.containers.Container:
        try:
            wrapped = self._containers[node].get_wrapped_container()
        except KeyError:
            raise HarnessError(f"no running node '{node}' in run {self.run_id}",
                               f"known nodes: {', '.join(self._containers)}") from None
        if refresh:
            wrapped.reload()
        return wrapped


def _publish_on_loopback(container: DockerContainer, port: int) -> None:
    """Publish a port on 127.0.0.1 only, on a free port (with_bind_ports binds 0.0.0.0)."""
    container.ports[f"{port}/tcp"] = ("127.0.0.1", None)  # type: ignore[assignment]
