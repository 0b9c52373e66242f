"""The reaper: a container that removes a run's containers, networks and volumes once the
harness process that owns the run is gone, even after SIGKILL (Testcontainers' Ryuk does this,
but needs an image pull the local profile cannot make).

This file is the reaper's whole program. The harness starts it first in every stack, in its
own services image (Python with httpx, nothing pulled), with the host's PID namespace (to
watch the owner) and the Docker socket. It takes the run id, the owner's PID, the owner's
start time (so a reused PID is not mistaken for the owner) and the socket's path, checks once
a second, then removes everything carrying the run's label, itself last. It imports nothing
of the harness.
"""

from __future__ import annotations

import sys
import time
from socket import gethostname
from urllib.parse import quote

import httpx

LABEL_RUN = "outage-harness.run"
CHECK_EVERY_S = 1.0


def owner_alive(pid: int, started: str) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == started  # field 22 of stat: start time in clock ticks since boot


def remove_run(docker: httpx.Client, run_id: str, me: str) -> None:
    """The run's other containers, its networks and volumes, then this container itself."""
    selector = quote(f'{{"label":["{LABEL_RUN}={run_id}"]}}')
    containers = docker.get(f"/containers/json?all=1&filters={selector}").json()
    mine = [c["Id"] for c in containers if c["Id"].startswith(me)]
    for container in containers:
        if container["Id"] not in mine:
            docker.delete(f"/containers/{container['Id']}?force=1&v=1")
    for network in docker.get(f"/networks?filters={selector}").json():
        docker.delete(f"/networks/{network['Id']}")
    for volume in docker.get(f"/volumes?filters={selector}").json().get("Volumes") or []:
        docker.delete(f"/volumes/{volume['Name']}?force=1")
    for container in mine:
        docker.delete(f"/containers/{container}?force=1&v=1")


def main(run_id: str, pid: int, started: str, socket: str) -> int:
    if not owner_alive(pid, started):
        # Another PID namespace (the harness in a container of its own): watching is impossible,
        # and reaping a live run would be worse than leaving a dead one to `outage down`.
        print(f"cannot see the harness process {pid}; not watching run {run_id}", flush=True)
        return 2
    print(f"watching process {pid} for run {run_id}", flush=True)
    while owner_alive(pid, started):
        time.sleep(CHECK_EVERY_S)
    with httpx.Client(transport=httpx.HTTPTransport(uds=socket), base_url="http://docker", timeout=30) as docker:
        remove_run(docker, run_id, gethostname())  # a container's hostname is its short id
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]))
