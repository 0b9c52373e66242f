"""Load containers on the stack's public network: each one its own source address.

They run the services image (Python, Locust, the fixtures) with this
package's code copied in before they start, carry the run's labels (so the
stack's cleanup removes them whatever happens) and live only as long as
their command, which is itself bounded in time.
"""

from __future__ import annotations

import io
import ipaddress
import tarfile
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import APIError, NotFound

from harness.errors import HarnessError
from harness.stack import Stack
from harness.stack.cleanup import LABEL_NODE, LABEL_ROLE

HARNESS = Path(__file__).resolve().parents[1]
# What a worker imports: the harness package marker and this package.
SHIPPED = (HARNESS / "__init__.py", HARNESS / "load")
CODE_ROOT = "/app"


@dataclass(frozen=True)
class LoadContainer:
    name: str
    address: str  # on the public network: the source address the servers see
    container: docker.models.containers.Container

    def logs(self, tail: int = 40) -> str:
        try:
            return str(self.container.logs(tail=tail).decode(errors="replace"))
        except (NotFound, APIError):
            return "(container gone)"

    def remove(self) -> None:
        try:
            self.container.remove(force=True)
        except NotFound:
            pass


def start_load_container(stack: Stack, name: str, role: str, command: list[str], *,
                         labels: dict[str, str] | None = None, with_code: bool = True) -> LoadContainer:
    network = stack.public_network.name
    try:
        container = stack.client.containers.create(
            stack.images.node, command, name=stack.container_name(name), hostname=name,
            labels=stack.labels(**{LABEL_ROLE: role, LABEL_NODE: name, **(labels or {})}),
            network=network, init=True, detach=True,
        )
        if with_code:
            container.put_archive(CODE_ROOT, harness_archive())
        container.start()
        container.reload()
    except APIError as err:
        raise HarnessError(f"could not start load container '{name}': {err.explanation or err}",
                           "check `docker info` and that the stack is still up") from err
    address = container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"]
    return LoadContainer(name, address, container)


def harness_archive() -> bytes:
    """A tar of the code a Locust worker needs, rooted where the image keeps its code."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in SHIPPED:
            tar.add(path, arcname=str(path.relative_to(HARNESS.parent)), filter=_without_caches)
    return buffer.getvalue()


def _without_caches(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    return None if "__pycache__" in info.name else info


def public_gateway(stack: Stack) -> str:
    """The host's address on the public network: where containers reach a process on the host."""
    network = stack.client.networks.get(stack.public_network.name)
    for pool in network.attrs["IPAM"]["Config"]:
        if pool.get("Gateway"):
            return str(pool["Gateway"])
    # Docker gives a bridge network's first address to the host when none is configured.
    subnet = ipaddress.ip_network(network.attrs["IPAM"]["Config"][0]["Subnet"])
    return str(next(subnet.hosts()))
