"""What the fabric claims, checked with real containers and real TCP."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from harness.fabric import CutMode
from harness.runtime.images import ImageSet
from harness.stack import LABEL_RUN, Stack
from harness.stack.cleanup import LABEL_ROLE
from harness.topology_file import load_topology

pytestmark = pytest.mark.docker
Look = Callable[..., dict]  # the `look` fixture of conftest.py
TOPOLOGY = Path(__file__).parents[2] / "fixtures" / "topologies" / "fabric_check.yaml"


def toxiproxy_addresses(stack: Stack) -> set[str]:
    """Every address of the run's Toxiproxy shards, on any network."""
    shards = stack.client.containers.list(filters={"label": [f"{LABEL_RUN}={stack.run_id}",
                                                              f"{LABEL_ROLE}=toxiproxy"]})
    return {network["IPAddress"] for shard in shards
            for network in shard.attrs["NetworkSettings"]["Networks"].values()}


@pytest.fixture(autouse=True)
def healed(stack: Stack) -> Iterator[None]:
    yield
    stack.fabric.heal_all()


def test_cross_provider_connection_goes_through_toxiproxy(stack: Stack, look: Look) -> None:
    seen = look("box-east", "echo-west")
    assert seen["ok"], seen
    assert seen["peer"].split(":")[0] in toxiproxy_addresses(stack)
    assert seen["peer"].split(":")[0] != stack.access("echo-west").address

    stack.fabric.cut(stack.fabric.links_of_node("east", "echo-west"))
    assert not look("box-east", "echo-west")["ok"]

    stack.fabric.heal_all()
    assert look("box-east", "echo-west")["ok"]


def test_same_provider_traffic_skips_the_proxy_and_survives_a_cut(stack: Stack, look: Look) -> None:
    stack.fabric.cut(stack.fabric.links_of_provider("east"))
    seen = look("box-east", "echo-east")
    assert seen["ok"], seen
    assert seen["peer"].split(":")[0] == stack.access("echo-east").address
    assert not look("box-west", "echo-east")["ok"]


def test_refuse_is_refused_and_blackhole_hangs(stack: Stack, look: Look) -> None:
    links = stack.fabric.links_between("east", "west")
    stack.fabric.cut(links, CutMode.REFUSE)
    refused = look("box-east", "echo-west")
    assert refused["error"].startswith("ConnectionRefusedError"), refused

    stack.fabric.restore(links)
    stack.fabric.cut(links, CutMode.BLACKHOLE)
    blackholed = look("box-east", "echo-west", timeout_s=1.0)
    assert blackholed["error"].startswith("TimeoutError"), blackholed
    assert blackholed["ms"] >= 1000


def test_latency_toxic_adds_the_delay_it_claims(stack: Stack, look: Look) -> None:
    def round_trips_ms() -> list[float]:
        return [look("box-east", "echo-west")["ms"] for _ in range(5)]

    before = round_trips_ms()
    stack.fabric.add_toxic("slow", "latency", stack.fabric.links_of_node("east", "echo-west"),
                           latency=300, jitter=0)
    during = round_trips_ms()
    stack.fabric.remove_toxic("slow")
    # Each echo crosses the downstream latency once, so no round trip may be shorter than it;
    # a busy machine only adds time. (A difference of two medians sat 10 ms from its bound.)
    assert statistics.median(before) < 100, before
    assert min(during) >= 300, during


def test_provider_outage_spares_the_vantage_point(stack: Stack, look: Look) -> None:
    stack.fabric.cut(stack.fabric.links_of_provider("west", spare=["office"]), CutMode.BLACKHOLE)
    assert look("desk", "echo-west")["ok"]
    assert not look("box-east", "echo-west", timeout_s=1.0)["ok"]


def test_one_way_partition_cuts_one_direction_only(stack: Stack, look: Look) -> None:
    stack.fabric.cut(stack.fabric.links_between("east", "west", one_way=True))
    assert not look("box-east", "echo-west")["ok"]
    assert look("box-west", "echo-east")["ok"]


def test_heal_all_leaves_no_toxic_or_disabled_proxy(stack: Stack, look: Look) -> None:
    stack.fabric.cut(stack.fabric.links_of_provider("east"), CutMode.REFUSE)
    stack.fabric.cut(stack.fabric.links_of_provider("west"), CutMode.BLACKHOLE)
    stack.fabric.add_toxic("slow", "latency", stack.fabric.links, latency=50)
    assert stack.fabric.leftovers()
    stack.fabric.heal_all()
    assert stack.fabric.leftovers() == []


def test_stopping_a_stack_removes_everything_it_labelled(
    docker_engine: docker.DockerClient, images: ImageSet
) -> None:
    with Stack(load_topology(TOPOLOGY), images, client=docker_engine) as running:
        run_id = running.run_id
        assert docker_engine.containers.list(filters={"label": f"{LABEL_RUN}={run_id}"})
    assert docker_engine.containers.list(all=True, filters={"label": f"{LABEL_RUN}={run_id}"}) == []
    assert docker_engine.networks.list(filters={"label": f"{LABEL_RUN}={run_id}"}) == []
