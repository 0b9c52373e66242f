"""A small stack on the fabric, and a way to look from one node at another."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from harness.runtime.images import ImageSet
from harness.stack import Stack
from harness.topology_file import load_topology

TOPOLOGY = Path(__file__).parents[2] / "fixtures" / "topologies" / "fabric_check.yaml"
Look = Callable[..., dict]


@pytest.fixture(scope="module")
def stack(docker_engine: docker.DockerClient, images: ImageSet) -> Iterator[Stack]:
    with Stack(load_topology(TOPOLOGY), images, client=docker_engine) as running:
        yield running


@pytest.fixture
def look(stack: Stack) -> Look:
    return looker(stack)


@pytest.fixture
def look_in() -> Callable[[Stack], Look]:
    """``look`` for a stack of the test's own."""
    return looker


def looker(stack: Stack) -> Look:
    """Connect from inside one node to another by name, and echo a line."""

    def looking(from_node: str, to_node: str, timeout_s: float = 1.5) -> dict:
        port = stack.topology.port_of(to_node)
        code, out = stack.exec(from_node, ["python", "-m", "fixtures.tcpcheck", to_node, str(port),
                                           "--echo", "--timeout", str(timeout_s)], timeout_s=timeout_s + 8)
        assert code == 0, out
        return json.loads(out)

    return looking
