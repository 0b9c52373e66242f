"""Cleanup on every exit path: an interrupted run leaves nothing with our label."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from harness.runtime.images import ImageSet
from harness.stack import LABEL_RUN

pytestmark = pytest.mark.docker
REPO = Path(__file__).parents[2]

# Brings the fabric-check topology up, says so, then waits to be interrupted.
HOLD_A_STACK = """
import sys, time
from pathlib import Path
from harness.runtime.engine import docker_client
from harness.runtime.setup import prepare
from harness.stack import Stack
from harness.stack.cleanup import signals_raise
from harness.topology_file import load_topology

with signals_raise(), Stack(load_topology(Path(sys.argv[1])), prepare(None), client=docker_client()) as s:
    print("up", s.run_id, flush=True)
    time.sleep(120)
"""


def _leftovers(client: docker.DockerClient, run_id: str) -> tuple[list, list]:
    selector = {"label": f"{LABEL_RUN}={run_id}"}
    return client.containers.list(all=True, filters=selector), client.networks.list(filters=selector)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_run_interrupted_by_a_signal_removes_its_containers_and_networks(
    docker_engine: docker.DockerClient, images: ImageSet, signum: signal.Signals
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_STACK, str(REPO / "fixtures/topologies/fabric_check.yaml")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = process.stdout.readline().split()
        assert first[:1] == ["up"], process.stderr.read()
        run_id = first[1]
        assert _leftovers(docker_engine, run_id)[0], "the stack should be running before the signal"
        process.send_signal(signum)
        process.wait(timeout=60)
    finally:
        process.kill()
    assert _leftovers(docker_engine, run_id) == ([], [])
