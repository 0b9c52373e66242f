"""Nodes sharing a port, in containers: each gets its own Toxiproxy shard, and a cut of one
node's links leaves the other's alone."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest

from harness.extensions import load_kinds
from harness.runtime.images import ImageSet
from harness.stack import Stack
from harness.topology import Topology

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def shared(docker_engine: docker.DockerClient, images: ImageSet) -> Iterator[Stack]:
    load_kinds()
    topology = Topology.model_validate({
        "providers": {"east": {}, "west": {}, "north": {}},
        "nodes": [
            {"name": "echo-west", "role": "echo", "provider": "west", "ports": [7001]},
            {"name": "echo-north", "role": "echo", "provider": "north", "ports": [7001]},
            {"name": "box-east", "role": "vantage", "provider": "east"},
        ],
    })
    with Stack(topology, images, client=docker_engine) as stack:
        yield stack


def test_two_nodes_on_one_port_get_a_shard_each_and_are_both_reached_through_the_fabric(shared: Stack, look_in) -> None:
    look = look_in(shared)
    assert len(shared.toxiproxy_urls) == 2
    assert look("box-east", "echo-west")["ok"]
    assert look("box-east", "echo-north")["ok"]


def test_cutting_one_of_them_leaves_the_other_on_the_same_port_reachable(shared: Stack, look_in) -> None:
    look = look_in(shared)
    links = shared.fabric.links_of_node("east", "echo-west")
    shared.fabric.cut(links)
    try:
        assert not look("box-east", "echo-west")["ok"]
        assert look("box-east", "echo-north")["ok"]
    finally:
        shared.fabric.heal_all()
    assert look("box-east", "echo-west")["ok"]
