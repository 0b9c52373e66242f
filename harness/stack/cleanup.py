"""Nothing a run starts outlives it: labels on everything, removal by label.

Ryuk (testcontainers' reaper) needs an image pull, which the local profile
cannot do; removal by our run label replaces it, and also serves `outage down`
after a crashed run.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from types import FrameType

import docker
from docker.errors import APIError, NotFound
from docker.models.containers import Container

LABEL_RUN = "outage-harness.run"
LABEL_NODE = "outage-harness.node"
LABEL_ROLE = "outage-harness.role"
# "host:pid:start ticks" of the process that started the run: its reaper watches it, and a
# later run removes what an owner that is gone left behind.
LABEL_OWNER = "outage-harness.owner"
REMOVAL_WORKERS = 8


def start_ticks(pid: int) -> str | None:
    """When a process started, in clock ticks since boot (with its PID: unique while it lives)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def this_owner() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{start_ticks(pid)}"


def owner_gone(owner: str) -> bool:
    """Whether the process an owner label names has exited (only known for this host)."""
    host, _, rest = owner.partition(":")
    pid, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return start_ticks(int(pid)) != started


def remove_orphans(client: docker.DockerClient) -> list[str]:
    """Remove every run whose owner on this host is gone (a crash, SIGKILL); returns their ids.
    A run whose owner still lives (an `outage up` stack in use) is never touched. Networks and
    volumes count on their own: a run cut short between removing its containers and its
    networks leaves only networks."""
    owned = {"label": LABEL_OWNER}
    labels = [container.labels for container in client.containers.list(all=True, filters=owned)]
    # A network's or a volume's labels are at the top of what the engine says of it.
    labels += [other.attrs.get("Labels") or {}
               for other in (*client.networks.list(filters=owned), *client.volumes.list(filters=owned))]
    runs: dict[str, str] = {}
    for each in labels:
        runs.setdefault(each.get(LABEL_RUN, ""), each.get(LABEL_OWNER, ""))
    orphans = [run for run, owner in runs.items() if run and owner_gone(owner)]
    for run in orphans:
        remove_leftovers(client, run)
    return orphans


def remove_leftovers(client: docker.DockerClient, run_id: str | None = None) -> tuple[int, int]:
    """Remove the containers, networks and named volumes of one run (or of every run).

    Returns how many containers and networks were removed."""
    selector = f"{LABEL_RUN}={run_id}" if run_id else LABEL_RUN
    containers = client.containers.list(all=True, filters={"label": selector})
    # Concurrently: one by one, a 14-node stack took seconds of every run's wall time.
    with ThreadPoolExecutor(max_workers=REMOVAL_WORKERS) as pool:
        list(pool.map(_remove_container, containers))
    networks = client.networks.list(filters={"label": selector})
    for network in networks:
        try:
            network.remove()
        except NotFound:
            pass
        except APIError:
            # A container of another tool still attached: disconnect it, then retry.
            network.reload()
            for attached in network.containers:
                network.disconnect(attached, force=True)
            network.remove()
    for volume in client.volumes.list(filters={"label": selector}):
        try:
            volume.remove(force=True)
        except NotFound:
            pass
    return len(containers), len(networks)


def _remove_container(container: Container) -> None:
    try:
        container.remove(force=True, v=True)
    except NotFound:
        pass


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so every `finally` and `with` cleans up."""


@contextmanager
def signals_raise() -> Iterator[None]:
    """Inside this block, SIGTERM unwinds the stack like Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: FrameType | None) -> None:
        raise Terminated(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
