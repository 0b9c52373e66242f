"""A topology as running containers: networks, the Toxiproxy fabric, the nodes.

Each provider is a Docker network; a node joins its own provider's network
(under its name) and, when public, the public network where "the internet"
(the host, attackers, legitimate senders) reaches it by address. Toxiproxy
containers (shards, see harness.fabric) join every provider network and carry
there the names of the nodes that live elsewhere.

Nodes start in layers: a node once every node it depends on is ready. A role's
nodes are expanded into plain ones (image, command, environment, readiness)
first, and a system's stack set-up (MongoDB's replSetInitiate) runs as soon as
every node of its roles is ready, before anything that needs them starts.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound
from docker.types import IPAMConfig, IPAMPool
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from harness.errors import HarnessError
from harness.extensions import ROLES, SETUPS
from harness.fabric import Fabric
from harness.fabric.fabric import Shard, plan_shards
from harness.fabric.toxiproxy import ToxiproxyClient
from harness.roles import StackContext
from harness.runtime.images import ImageSet, Profile, build_folder, debian_stand_in
from harness.stack import readiness, reaper
from harness.stack.cleanup import (
    LABEL_NODE,
    LABEL_OWNER,
    LABEL_ROLE,
    LABEL_RUN,
    remove_leftovers,
    remove_orphans,
    start_ticks,
    this_owner,
)
from harness.topology import Node, Topology, memory_bytes, start_layers

TOXIPROXY_API_PORT = 8474
READY_POLL_S = 0.2
PUBLIC = "public"
# Where every network's /24 is taken from (the public one's holds the floating IP).
NETWORK_RANGE = ipaddress.ip_network("172.30.0.0/16")
FLOATING_HOST = 250
LOG_LINES_ON_FAILURE = 20
REAPER_SOCKET = "/var/run/docker.sock"
ENGINE_WAIT_S = 60  # how long removal waits for an engine that stopped answering
# What docker-py raises when the engine is gone: its own errors, or the socket's.
ENGINE_ERRORS = (DockerException, requests.RequestException)
START_WORKERS = 8

Say = Callable[[str], None]


@dataclass(frozen=True)
class NodeAccess:
    """How the host reaches a node: its address on the Docker network, and its ports
    published on 127.0.0.1 (what a user on this machine would type)."""

    address: str
    published: dict[int, int]  # the node's port -> the port on 127.0.0.1
    public_address: str | None

    @property
    def reach(self) -> str:
        """The address the host uses: public if it has one, else its own network's."""
        return self.public_address or self.address


class Stack:
    def __init__(
        self,
        topology: Topology,
        images: ImageSet,
        *,
        client: docker.DockerClient,
        run_id: str | None = None,
        settings: dict[str, str] | None = None,
        architecture: str = "",
        loads: dict[str, Any] | None = None,
        base_dir: Path | None = None,
        say: Say = lambda _: None,
    ) -> None:
        """``settings``: the architecture's (UPPER_CASE ones are every node's environment);
        ``loads``: the run's loads by timeline id (a set-up may size a node by them);
        ``base_dir``: where ``build:`` folders are found (the scenario file's folder)."""
        self.topology = topology
        self.images = images
        self.client = client
        self.run_id = run_id or f"r{time.strftime('%H%M%S')}{secrets.token_hex(2)}"
        self.say = say
        self.base_dir = base_dir or Path.cwd()
        self.context = StackContext(topology, images, self.run_id, architecture, dict(settings or {}),
                                    dict(loads or {}))
        # Every node as a plain one (roles expanded), by name.
        self.nodes: dict[str, Node] = {}
        # What set-ups found out or decided, for the journal ("database tier", calibrations).
        self.notes: dict[str, Any] = {}
        self._networks: dict[str, Network] = {}
        self._containers: dict[str, DockerContainer] = {}
        self._toxiproxies: list[ToxiproxyClient] = []
        self.fabric: Fabric | None = None
        self.floating_ip: str | None = None
        self.floating_holder: str | None = None
        self._owner = this_owner()
        self._down: set[str] = set()  # nodes a fault killed on purpose

    # Lifecycle.

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> Stack:
        """Bring every node up and ready; a start that fails removes what it started."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> Stack:
        if self.images.profile is Profile.LOCAL:
            testcontainers_config.ryuk_disabled = True
        self.say(f"run {self.run_id}: {len(self.topology.providers)} providers, "
                 f"{len(self.topology.nodes)} nodes")
        for orphan in remove_orphans(self.client):
            self.say(f"removed run {orphan}, left behind by a process that is gone")
        self.nodes = {node.name: self._plain(node) for node in self.topology.nodes}
        images = self._ensure_images()
        self._start_reaper()
        self._create_networks()
        self.floating_holder = next((n.name for n in self.topology.nodes if n.floating), None)
        self._start_fabric()
        set_up: set[str] = set()
        started: set[str] = set()
        for layer in start_layers(self.topology):
            self._start_nodes([self.nodes[n.name] for n in layer], images)
            started.update(n.name for n in layer)
            for setup in SETUPS.values():
                members = [n for n in self.topology.nodes if n.role in setup.roles]
                if setup.name not in set_up and members and {n.name for n in members} <= started:
                    if setup.run is not None:
                        setup.run(self, members)
                    set_up.add(setup.name)
        return self

    def stop(self) -> None:
        """Heal every link, then remove everything carrying this run's label."""
        if self.fabric is not None:
            try:
                self.fabric.heal_all()
            except HarnessError as err:
                self.say(f"could not heal the fabric before removal: {err}")
        for toxiproxy in self._toxiproxies:
            toxiproxy.close()
        deadline = time.monotonic() + ENGINE_WAIT_S
        while True:
            try:
                containers, networks = remove_leftovers(self.client, self.run_id)
                break
            except ENGINE_ERRORS as err:
                if time.monotonic() > deadline:
                    self.say(f"run {self.run_id}: could not be removed, the Docker engine does not answer ({err}); "
                             f"run `outage down --run {self.run_id}` once it is back")
                    return
                time.sleep(1)  # an engine restarting answers again within seconds
        self.say(f"run {self.run_id}: removed {containers} containers, {networks} networks")

    # Access.

    def access(self, node: str) -> NodeAccess:
        spec = self.nodes[node] if node in self.nodes else self.topology.node(node)
        attrs = self._container(node).attrs
        networks = attrs["NetworkSettings"]["Networks"]
        home = networks[self._network_name(spec.provider)]["IPAddress"]
        public = networks.get(self._network_name(PUBLIC), {}).get("IPAddress") or None
        bindings = attrs["NetworkSettings"]["Ports"] or {}
        published = {port: int(bindings[f"{port}/tcp"][0]["HostPort"])
                     for port in (*spec.ports, *spec.host_ports) if bindings.get(f"{port}/tcp")}
        return NodeAccess(home, published, public)

    def address(self, node: str) -> str:
        """The address the host uses for a node: public if it has one, else home."""
        return self.access(node).reach

    @property
    def toxiproxy_urls(self) -> list[str]:
        """The API of each Toxiproxy shard, on 127.0.0.1."""
        return [client.base_url for client in self._toxiproxies]

    @property
    def public_network(self) -> Network:
        """The network "the internet" lives on: load generators join it to reach the stack."""
        return self._networks[PUBLIC]

    def labels(self, **extra: str) -> dict[str, str]:
        """Labels for anything started for this run, so cleanup (and its reaper) find it."""
        return {LABEL_RUN: self.run_id, LABEL_OWNER: self._owner, **extra}

    def container_name(self, node: str) -> str:
        return f"outage-{self.run_id}-{node}"

    def save_logs(self, folder: Path) -> None:
        """Every node's output, one file each: what a postmortem of the run needs."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, container in self._containers.items():
            try:
                output = container.get_wrapped_container().logs(timestamps=True)
            except ENGINE_ERRORS as err:
                output = f"(logs unavailable: {err})".encode()
            (folder / f"{name}.log").write_bytes(output)

    def reset(self, restart: bool = False) -> None:
        """Back to how start() left it, for another run on the same stack: every link healed and
        checked, nodes a fault stopped running again (every node restarted, with ``restart``),
        all ready, the floating IP home, and each set-up's own reset (a replica set with a
        primary, spools drained). HarnessError when it cannot."""
        assert self.fabric is not None, "the stack is not started"
        self.fabric.heal_all()
        # In start-up order, each layer ready before the next: what a node finds at its start
        # (a replica its primary, a Sentinel the replicas) is what it found the first time.
        for layer in start_layers(self.topology):
            with ThreadPoolExecutor(max_workers=START_WORKERS, thread_name_prefix="reset") as pool:
                list(pool.map(lambda node: self._back_up(node.name, restart), layer))
            self._wait_ready([self.nodes[node.name] for node in layer])
        self._down.clear()
        home = next((n.name for n in self.topology.nodes if n.floating), None)
        if home is not None and self.floating_holder != home:
            self.move_floating_ip(home)
        for setup in SETUPS.values():
            members = [n for n in self.topology.nodes if n.role in setup.roles]
            if setup.reset is not None and members:
                setup.reset(self, members)

    def _back_up(self, name: str, restart: bool) -> None:
        container = self._container(name)
        if container.status == "paused":
            container.unpause()
        if restart:
            container.restart(timeout=5)
        elif container.status != "running":
            container.start()

    def check_dependencies(self) -> None:
        """Raise HarnessError naming what is gone of what the run itself depends on: the Docker
        engine, a Toxiproxy container, a node no fault killed (an engine restart takes them all)."""
        try:
            running = {c.name for c in self.client.containers.list(filters={"label": f"{LABEL_RUN}={self.run_id}"})}
        except ENGINE_ERRORS as err:
            raise HarnessError(f"the Docker engine stopped answering during run {self.run_id}: {err}",
                               "look at the engine (`docker info`); run `outage down` once it is back") from None
        for index, client in enumerate(self._toxiproxies):
            if f"outage-{self.run_id}-toxiproxy-{index}" not in running:
                raise HarnessError(f"the Toxiproxy container outage-{self.run_id}-toxiproxy-{index} is gone "
                                   f"(its API was {client.base_url}): the run can no longer carry or cut links "
                                   "(was the Docker engine restarted?)",
                                   "look at `docker ps -a` and the engine's log; then run the scenario again")
        gone = sorted(n for n in self._containers if n not in self._down and self.container_name(n) not in running)
        if gone:
            raise HarnessError(f"node(s) {', '.join(gone)} stopped running and no fault stopped them "
                               "(was the Docker engine restarted?)",
                               "look at the nodes' logs in the run's report folder; then run the scenario again")

    # Node operations (the stack's share of faults and operator actions).

    def restart(self, node: str, timeout_s: int = 10) -> None:
        self._down.add(node)  # down on purpose until it is ready again
        self._container(node, refresh=False).restart(timeout=timeout_s)
        self._wait_ready([self.nodes[node]])
        self._down.discard(node)

    def kill(self, node: str) -> None:
        self._down.add(node)
        self._container(node, refresh=False).kill()

    def start_node(self, node: str) -> None:
        self._container(node, refresh=False).start()
        self._down.discard(node)
        self._wait_ready([self.nodes[node]])

    def pause(self, node: str) -> None:
        self._container(node, refresh=False).pause()

    def unpause(self, node: str) -> None:
        self._container(node, refresh=False).unpause()

    def exec(self, node: str, argv: list[str], timeout_s: float = 10) -> tuple[int | None, str]:
        """Run a command inside a node: (exit code, output); the exit code is None when it
        did not finish within ``timeout_s``."""
        return readiness.exec_bounded(self._container(node, refresh=False), argv, timeout_s)

    def move_floating_ip(self, to: str) -> None:
        """Hand the floating IP to another public node, as the 2018 recovery plan tried."""
        if self.floating_ip is None or self.floating_holder is None:
            raise HarnessError("this topology has no floating IP", "give one public node floating: true")
        if not self.topology.node(to).is_public:
            raise HarnessError(f"'{to}' is not on the public network", "move the floating IP to a public node")
        public = self._network(PUBLIC)
        public.disconnect(self._container(self.floating_holder).id, force=True)
        public.disconnect(self._container(to).id, force=True)
        public.connect(self._container(to).id, ipv4_address=self.floating_ip)
        public.connect(self._container(self.floating_holder).id)
        self.floating_holder = to

    # Bring-up steps.

    def _plain(self, node: Node) -> Node:
        """The node with its role expanded into image, command, environment and readiness, and
        the architecture's UPPER_CASE settings in its environment (under the node's own)."""
        environment = {key: value for key, value in self.context.settings.items() if key.isupper()}
        if node.role is None:
            return node.model_copy(update={"env": {**environment, **node.env}})
        expanded = ROLES[node.role].expand(node, self.context)
        # What the topology says of the node wins over the role's defaults.
        return expanded.model_copy(update={
            "env": {**expanded.env, **environment, **node.env}, "cpus": node.cpus, "memory": node.memory,
            "volumes": node.volumes or expanded.volumes, "public": node.public,
            "floating": node.floating, "depends_on": node.depends_on,
        })

    def _ensure_images(self) -> dict[str, str]:
        """Each node's image tag, pulled or built as needed; a missing one names node and profile."""
        tags: dict[str, str] = {}
        for name, node in self.nodes.items():
            if node.build is not None:
                tags[name] = build_folder(self.client, self.base_dir / node.build, node.name, self.say)
                continue
            assert node.image is not None
            tags[name] = self._present_or_pulled(node.image, name)
        return tags

    def _present_or_pulled(self, image: str, node: str) -> str:
        """The image as named, when here or pullable; in the local profile, else its stand-in."""
        try:
            self.client.images.get(image)
            return image
        except ImageNotFound:
            pass
        stand_in = self.topology.local_images.get(image)
        if self.images.profile is Profile.LOCAL and stand_in is not None and self.images.base is not None:
            tag = debian_stand_in(self.client, self.images.base, stand_in.debian, self.say)
            self.notes[f"image {image}"] = f"local stand-in {tag}: Debian's {', '.join(stand_in.debian)}"
            return tag
        self.say(f"pulling {image} for node '{node}'")
        try:
            self.client.images.pull(image)
        except DockerException as err:
            reason = getattr(err, "explanation", None) or str(err).splitlines()[0]
            raise HarnessError(
                f"node '{node}': image {image} is not on this machine and cannot be pulled "
                f"(image profile {self.images.profile.value}): {reason}",
                "build it (build: a folder with a Dockerfile), load it with `docker load`, or, in the "
                "local profile, name Debian packages that stand in for it under topology.local_images",
            ) from None
        return image

    def _start_reaper(self) -> None:
        """The run's reaper (harness/stack/reaper.py): removes the run if this process dies."""
        socket_path = _docker_socket()
        if socket_path is None:
            self.say("no reaper: the Docker engine is not on a local socket; `outage down` removes what a "
                     "crashed run leaves")
            return
        pid = os.getpid()
        self.client.containers.run(
            self.images.node,
            ["python", "-c", Path(reaper.__file__).read_text(encoding="utf-8"), self.run_id, str(pid),
             str(start_ticks(pid)), REAPER_SOCKET],
            name=f"outage-{self.run_id}-reaper", detach=True, pid_mode="host",
            volumes={socket_path: {"bind": REAPER_SOCKET, "mode": "rw"}},
            labels=self.labels(**{LABEL_ROLE: "reaper"}),
        )

    def _network_name(self, provider: str) -> str:
        return f"outage-{self.run_id}-{provider}"

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
            network = Network(docker_network_kw={"labels": self.labels(), "driver": "bridge",
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

    def _start_fabric(self) -> None:
        """One Toxiproxy container per shard, each joining every provider network with the
        names of its nodes that live elsewhere as aliases there."""
        shards = plan_shards(self.topology)
        with ThreadPoolExecutor(max_workers=max(1, len(shards)), thread_name_prefix="toxiproxy") as pool:
            started = list(pool.map(self._start_shard, range(len(shards)), shards))
        upstreams = {n.name: self.container_name(n.name) for n in self.topology.nodes}
        self.fabric = Fabric(self.topology, started, shards, upstreams)
        self.fabric.install()

    def _start_shard(self, index: int, names: list[str]) -> Shard:
        providers = list(self.topology.providers)
        aliases = {p: sorted(n for n in names if self.topology.node(n).provider != p) for p in providers}
        container = (
            DockerContainer(self.images.toxiproxy, command="-host=0.0.0.0")
            .with_name(f"outage-{self.run_id}-toxiproxy-{index}")
            .with_network(self._networks[providers[0]])
            .with_network_aliases(*aliases[providers[0]])
            .with_kwargs(labels=self.labels(**{LABEL_ROLE: "toxiproxy"}))
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
        client = ToxiproxyClient(f"http://127.0.0.1:{port}")
        self._toxiproxies.append(client)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.version()
                break
            except HarnessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        return Shard(client, addresses)

    def _start_node(self, node: Node, image: str) -> None:
        kwargs: dict[str, object] = {
            "labels": self.labels(**{LABEL_NODE: node.name, LABEL_ROLE: self.topology.node(node.name).role or ""}),
            "hostname": node.name,
            "init": True,
        }
        if node.cpus:
            kwargs["nano_cpus"] = round(node.cpus * 1e9)
        if node.memory:
            kwargs["mem_limit"] = memory_bytes(node.memory)
        if node.entrypoint is not None:
            kwargs["entrypoint"] = node.entrypoint
        if node.volumes:
            kwargs["volumes"] = {self._volume(node.name, name): {"bind": mount, "mode": "rw"}
                                 for name, mount in node.volumes.items()}
        container = (
            DockerContainer(image, command=node.command, env=dict(node.env))
            .with_name(self.container_name(node.name))
            .with_network(self._networks[node.provider])
            .with_network_aliases(node.name)
            .with_kwargs(**kwargs)
        )
        for port in (*node.ports, *node.host_ports):
            _publish_on_loopback(container, port)
        container.start()
        self._containers[node.name] = container
        if node.is_public:
            fixed_ip = self.floating_ip if node.name == self.floating_holder else None
            self._network(PUBLIC).connect(container.get_container_id(), ipv4_address=fixed_ip)

    def _volume(self, node: str, name: str) -> str:
        """A named volume of this run, labelled so cleanup removes it with the containers."""
        volume = self.client.volumes.create(name=f"outage-{self.run_id}-{node}-{name}", labels=self.labels())
        return str(volume.name)

    def _start_nodes(self, nodes: list[Node], images: dict[str, str]) -> None:
        with ThreadPoolExecutor(max_workers=START_WORKERS, thread_name_prefix="start") as pool:
            list(pool.map(lambda node: self._start_node(node, images[node.name]), nodes))
        self._wait_ready(nodes)

    def _wait_ready(self, nodes: list[Node]) -> None:
        """Poll each node's readiness check until it passes, its own timeout passes, or it exits."""
        started = time.monotonic()
        pending = {n.name: n for n in nodes if n.ready is not None}
        while pending:
            for name, node in sorted(pending.items()):
                assert node.ready is not None
                container = self._container(name)
                if container.status in ("exited", "dead"):
                    raise HarnessError(
                        f"node '{name}' exited during start-up (status {container.attrs['State']['ExitCode']}); "
                        f"its last output:\n{self._tail(container)}",
                        "fix the node's configuration; `outage up` shows the same output",
                    )
                if readiness.passes(node.ready, node, self.access(name).reach, container):
                    del pending[name]
                elif time.monotonic() - started > node.ready.timeout:
                    raise HarnessError(
                        f"node '{name}' was not ready within {node.ready.timeout:g} s: its check "
                        f"({readiness.describe(node.ready, node)}) never passed; its last "
                        f"{LOG_LINES_ON_FAILURE} lines of output:\n{self._tail(container)}",
                        "fix what its output says, or the node's ready: check",
                    )
            if pending:
                time.sleep(READY_POLL_S)

    @staticmethod
    def _tail(container: docker.models.containers.Container) -> str:
        return container.logs(tail=LOG_LINES_ON_FAILURE).decode(errors="replace").rstrip() or "(no output)"

    def _container(self, node: str, refresh: bool = True) -> docker.models.containers.Container:
        try:
            wrapped = self._containers[node].get_wrapped_container()
        except KeyError:
            raise HarnessError(f"no running node '{node}' in run {self.run_id}",
                               f"known nodes: {', '.join(self._containers)}") from None
        if refresh:
            wrapped.reload()
        return wrapped


def _docker_socket() -> str | None:
    """The engine's socket on this machine, or None when the engine is elsewhere."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    return host.removeprefix("unix://") if host.startswith("unix://") else None


def _publish_on_loopback(container: DockerContainer, port: int) -> None:
    """Publish a port on 127.0.0.1 only, on a free port (with_bind_ports binds 0.0.0.0)."""
    container.ports[f"{port}/tcp"] = ("127.0.0.1", None)  # type: ignore[assignment]
