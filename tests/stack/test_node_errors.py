"""A node that cannot start fails the bring-up with a message naming it, and leaves nothing behind."""

from __future__ import annotations

import time

import docker
import pytest

from harness.errors import HarnessError
from harness.extensions import load_kinds
from harness.runtime.images import ImageSet
from harness.stack import LABEL_RUN, Stack
from harness.topology import Topology

pytestmark = pytest.mark.docker
# A registry on a loopback port nothing listens on: the pull fails at once, and never leaves this machine.
ABSENT_IMAGE = "127.0.0.1:9/outage-harness/absent:never"


def topology(node: dict) -> Topology:
    load_kinds()
    return Topology.model_validate({
        "providers": {"east": {}},
        "nodes": [{"name": "box", "role": "vantage", "provider": "east"}, {"provider": "east", **node}],
    })


def leftovers(client: docker.DockerClient, run_id: str) -> tuple[list, list]:
    selector = {"label": f"{LABEL_RUN}={run_id}"}
    return client.containers.list(all=True, filters=selector), client.networks.list(filters=selector)


def failed_start(client: docker.DockerClient, images: ImageSet, node: dict) -> tuple[HarnessError, str]:
    stack = Stack(topology(node), images, client=client)
    with pytest.raises(HarnessError) as caught, stack:
        pytest.fail("the stack should not have started")
    return caught.value, stack.run_id


def test_an_image_that_is_absent_and_cannot_be_pulled_names_the_node_and_the_profile(
        docker_engine: docker.DockerClient, images: ImageSet) -> None:
    error, run_id = failed_start(docker_engine, images, {"name": "ghost", "image": ABSENT_IMAGE, "ports": [80]})
    assert f"node 'ghost': image {ABSENT_IMAGE} is not on this machine and cannot be pulled" in error.problem
    assert f"(image profile {images.profile.value})" in error.problem
    assert "build it" in error.fix
    assert leftovers(docker_engine, run_id) == ([], [])


def test_a_node_never_ready_names_its_check_and_shows_its_last_output(
        docker_engine: docker.DockerClient, images: ImageSet) -> None:
    started = time.monotonic()
    error, run_id = failed_start(docker_engine, images, {
        "name": "sleeper", "image": images.node,
        "command": ["sh", "-c", "echo starting up; echo still waiting for nothing; exec sleep 600"],
        "ready": {"tcp": {"port": 7}, "timeout": "3s"},
    })
    assert "node 'sleeper' was not ready within 3 s" in error.problem
    assert "its check (tcp: a connection to port 7) never passed" in error.problem
    assert error.problem.rstrip().endswith("starting up\nstill waiting for nothing")
    assert time.monotonic() - started < 60
    assert leftovers(docker_engine, run_id) == ([], [])


def test_a_node_that_exits_during_start_up_says_so_with_its_output(
        docker_engine: docker.DockerClient, images: ImageSet) -> None:
    error, run_id = failed_start(docker_engine, images, {
        "name": "crasher", "image": images.node, "command": ["sh", "-c", "echo no config found; exit 3"],
        "ready": {"tcp": {"port": 7}, "timeout": "30s"},
    })
    assert "node 'crasher' exited during start-up (status 3)" in error.problem
    assert error.problem.rstrip().endswith("no config found")
    assert leftovers(docker_engine, run_id) == ([], [])
