"""Toxiproxy shards: one container stands in for many nodes only where their ports differ."""

from __future__ import annotations

from harness.extensions import load_kinds
from harness.fabric.fabric import plan_shards
from harness.topology import Topology


def topology(*nodes: dict) -> Topology:
    load_kinds()  # the echo and vantage roles
    return Topology.model_validate({"providers": {"a": {}, "b": {}}, "nodes": list(nodes)})


def redis(name: str, provider: str = "a", ports: list[int] | None = None) -> dict:
    return {"name": name, "provider": provider, "image": "redis:7.2", "ports": ports or [6379]}


def test_a_stack_whose_ports_are_all_distinct_has_one_shard() -> None:
    shards = plan_shards(topology(redis("r1", ports=[6379]), redis("r2", "b", ports=[6380]),
                                  {"name": "e1", "role": "echo", "provider": "a"},
                                  {"name": "e2", "role": "echo", "provider": "b"}))
    assert shards == [["r1", "r2", "e1", "e2"]]


def test_nodes_sharing_a_port_go_to_different_shards() -> None:
    shards = plan_shards(topology(redis("r1"), redis("r2", "b"), redis("r3")))
    assert shards == [["r1"], ["r2"], ["r3"]]


def test_a_node_joins_the_first_shard_holding_none_of_its_ports() -> None:
    shards = plan_shards(topology(redis("r1", ports=[6379, 8080]), redis("r2", ports=[6379]),
                                  redis("web", "b", ports=[8080]), redis("api", "b", ports=[9000])))
    assert shards == [["r1", "api"], ["r2", "web"]]
    for shard in shards:  # no port twice within a shard
        ports = [p for name in shard for p in {"r1": [6379, 8080], "r2": [6379], "web": [8080],
                                                 "api": [9000]}[name]]
        assert len(ports) == len(set(ports))


def test_nodes_without_ports_need_no_proxy() -> None:
    shards = plan_shards(topology(redis("r1"), {"name": "desk", "role": "vantage", "provider": "b"}))
    assert shards == [["r1"]]


def test_role_nodes_without_ports_take_distinct_defaults_so_a_role_stack_has_one_shard() -> None:
    nodes = [{"name": f"e{n}", "role": "echo", "provider": "ab"[n % 2]} for n in range(6)]
    plan = topology(*nodes)
    assert [node.port for node in plan.nodes] == [7001, 7002, 7003, 7004, 7005, 7006]
    assert len(plan_shards(plan)) == 1
