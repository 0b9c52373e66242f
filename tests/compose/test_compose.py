"""Compose files as topologies (harness/compose.py): each service a node, placed in a provider.

Each test writes a compose file and a scenario naming it into tmp_path and loads the scenario
as `outage run` would; a mistake in the compose file is reported at its own file and line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from harness.compose import compose_nodes, expand_topology
from harness.scenario import Scenario, ScenarioError, parse_scenario
from harness.topology import Node

COMPOSE = """\
services:
  cache:
    image: "redis:${REDIS_TAG:-7.2}"
    command: redis-server --appendonly yes --requirepass $$ecret
    environment:
      - MODE=$CACHE_MODE
      - EMPTY=
    healthcheck:
      test: [CMD, redis-cli, ping]
      interval: 1m
      retries: 3
    ports: ["16379:6379", "127.0.0.1:16380:6380/tcp"]
    volumes: [data:/data]
    cpus: 0.5
    mem_limit: 256m
  web:
    build: ./web
    command: [python, -m, http.server, "8000"]
    environment: {CACHE_HOST: cache, PORT: 8000, UNSET: null}
    env_file: web.env
    depends_on:
      cache: {condition: service_healthy}
    expose: ["8000", 8001]
    healthcheck:
      test: "curl -f localhost:8000"
  worker:
    image: busybox
    entrypoint: /bin/sh
    depends_on: [cache, web]
    ports: [{target: 9000, published: 19000}]
    healthcheck: {test: [CMD-SHELL, test -f /ok], interval: 5s, retries: 2, start_period: 10s}
volumes:
  data: {}
x-notes: ignored, as Compose ignores x- keys
"""
PLACE = "{cache: east, web: west, worker: west}"
SCENARIO = """\
name: composed
seed: 1
duration: 1m
topology:
  compose: compose.yaml
  place: PLACE
  providers: {east: {description: "where the cache lives"}}
architectures:
  as-was: {expect: {broken: []}}
probes:
  - {id: pings, kind: tcp, targets: [cache, web], every: 1s}
invariants:
  - {id: up, kind: availability, target: pings, min: 0.5}
"""


def write(folder: Path, compose: str = COMPOSE, place: str = PLACE, scenario: str = SCENARIO) -> Path:
    (folder / "compose.yaml").write_text(compose, encoding="utf-8")
    (folder / "web").mkdir(exist_ok=True)
    (folder / "web" / "Dockerfile").write_text("FROM busybox\n", encoding="utf-8")
    (folder / "web.env").write_text('# the web tier\nGREETING="hello there"\nLEVEL=3\nPORT=1\n', encoding="utf-8")
    path = folder / "scenario.yaml"
    path.write_text(scenario.replace("PLACE", place), encoding="utf-8")
    return path


def load(folder: Path, **files: str) -> Scenario:
    path = write(folder, **files)
    return parse_scenario(path.read_text(encoding="utf-8"), str(path), folder=folder)


def error_for(folder: Path, **files: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load(folder, **files)
    return caught.value


def line_of(text: str, needle: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), start=1) if needle in row)


@pytest.fixture
def nodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Node]:
    monkeypatch.setenv("CACHE_MODE", "lru")
    monkeypatch.delenv("REDIS_TAG", raising=False)
    return {node.name: node for node in load(tmp_path).topology.nodes}


def test_each_service_becomes_a_node_in_the_provider_place_gives_it(tmp_path: Path, nodes: dict[str, Node]) -> None:
    assert {name: node.provider for name, node in nodes.items()} == {"cache": "east", "web": "west",
                                                                     "worker": "west"}
    assert nodes["cache"].image == "redis:7.2"
    assert nodes["web"].build == str(tmp_path / "web")


def test_providers_are_the_placed_ones_with_their_descriptions(tmp_path: Path) -> None:
    providers = load(tmp_path).topology.providers
    assert sorted(providers) == ["east", "west"]
    assert providers["east"].description == "where the cache lives"


def test_a_command_string_is_split_as_a_shell_would_and_a_list_kept(nodes: dict[str, Node]) -> None:
    assert nodes["cache"].command == ["redis-server", "--appendonly", "yes", "--requirepass", "$ecret"]
    assert nodes["web"].command == ["python", "-m", "http.server", "8000"]
    assert nodes["worker"].entrypoint == ["/bin/sh"]


def test_environment_as_a_list_or_a_map_and_env_file_underneath(nodes: dict[str, Node]) -> None:
    assert nodes["cache"].env == {"MODE": "lru", "EMPTY": ""}
    # env_file first, the service's own environment over it, as Compose does.
    assert nodes["web"].env == {"GREETING": "hello there", "LEVEL": "3", "PORT": "8000", "CACHE_HOST": "cache",
                                "UNSET": ""}


def test_a_healthcheck_becomes_an_exec_readiness_check_with_compose_patience(nodes: dict[str, Node]) -> None:
    cache, web, worker = nodes["cache"].ready, nodes["web"].ready, nodes["worker"].ready
    assert (cache.exec, cache.timeout) == (["redis-cli", "ping"], 180.0)  # 3 retries a minute apart
    assert (web.exec, web.timeout) == (["sh", "-c", "curl -f localhost:8000"], 90.0)  # the default's floor
    assert worker.exec == ["sh", "-c", "test -f /ok"]
    assert worker.kind == "exec"


def test_a_long_start_period_lengthens_the_readiness_timeout(tmp_path: Path) -> None:
    compose = COMPOSE.replace("interval: 5s, retries: 2, start_period: 10s", "interval: 5s, retries: 2, start_period: 2m")
    worker = load(tmp_path, compose=compose).topology.node("worker")
    assert worker.ready.timeout == 130.0


def test_depends_on_as_a_list_or_a_map_orders_the_start(nodes: dict[str, Node]) -> None:
    assert nodes["web"].depends_on == ["cache"]
    assert nodes["worker"].depends_on == ["cache", "web"]


def test_ports_and_expose_give_the_container_side(nodes: dict[str, Node]) -> None:
    assert nodes["cache"].ports == [6379, 6380]
    assert nodes["web"].ports == [8000, 8001]
    assert nodes["worker"].ports == [9000]


def test_named_volumes_and_limits_carry_over(nodes: dict[str, Node]) -> None:
    assert nodes["cache"].volumes == {"data": "/data"}
    assert (nodes["cache"].cpus, nodes["cache"].memory) == (0.5, "256m")


def test_variables_come_from_the_environment_with_their_defaults(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_TAG", "7.4")
    monkeypatch.delenv("CACHE_MODE", raising=False)
    cache = load(tmp_path).topology.node("cache")
    assert cache.image == "redis:7.4"
    assert cache.env["MODE"] == ""  # an unset $VAR is empty, as under Compose


def test_a_set_but_empty_variable_takes_the_colon_dash_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_TAG", "")
    assert load(tmp_path).topology.node("cache").image == "redis:7.2"


def test_dash_without_colon_keeps_a_set_but_empty_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Compose: ${VAR-default} takes the default only when VAR is unset; ${VAR:-default} also when empty.
    monkeypatch.setenv("REDIS_TAG", "")
    compose = COMPOSE.replace("${REDIS_TAG:-7.2}", "${REDIS_TAG-7.2}")
    assert load(tmp_path, compose=compose).topology.node("cache").image == "redis:"


def test_nodes_given_beside_the_compose_file_join_it(tmp_path: Path) -> None:
    scenario = SCENARIO.replace("  providers:", "  nodes:\n    - {name: desk, role: vantage, provider: east}\n"
                                "  providers:")
    assert "desk" in [n.name for n in load(tmp_path, scenario=scenario).topology.nodes]


def test_compose_nodes_and_expand_topology_directly(tmp_path: Path) -> None:
    write(tmp_path)
    tree = YAML(typ="rt").load(COMPOSE)
    converted = compose_nodes(tree, tmp_path, {"cache": "east", "web": "west", "worker": "west"})
    assert converted.problems == []
    assert [n["name"] for n in converted.nodes] == ["cache", "web", "worker"]
    plain = {"providers": {"east": {}}, "nodes": []}
    assert expand_topology(plain, tmp_path, ("topology",)) == (plain, [])  # not a compose topology: untouched
    expanded, problems = expand_topology({"compose": "compose.yaml", "place": {"cache": "east", "web": "west",
                                                                              "worker": "west"}},
                                         tmp_path, ("topology",))
    assert problems == [] and sorted(expanded["providers"]) == ["east", "west"]


# ---- mistakes ------------------------------------------------------------------------------


def assert_in_compose_file(error: ScenarioError, tmp_path: Path, compose: str, needle: str, field: str) -> None:
    line = line_of(compose, needle)
    assert (error.file, error.line, error.field) == (str(tmp_path / "compose.yaml"), line, field)
    assert str(error).startswith(f"{tmp_path / 'compose.yaml'}:{line}: {field}: ")


def test_an_unplaced_service_is_refused_listing_the_providers(tmp_path: Path) -> None:
    error = error_for(tmp_path, place="{cache: east, web: west}")
    assert_in_compose_file(error, tmp_path, COMPOSE, "  worker:", "services.worker")
    assert error.message == "service 'worker' is not placed in a provider"
    assert error.hint == "add it under topology.place, in one of: east, west"


def test_place_naming_no_service_suggests_the_closest(tmp_path: Path) -> None:
    error = error_for(tmp_path, place="{cache: east, web: west, worker: west, wroker: east}")
    assert error.field == "services"
    assert error.message == "place names 'wroker', which is not a service here"
    assert error.hint == "did you mean 'worker'?"


@pytest.mark.parametrize(("key", "hint"), [
    ("networks: [back]", "providers replace networks: place the service in a provider instead"),
    ("restart: always", "the harness restarts nodes only when a fault or action says so: remove restart"),
    ("stop_signal: SIGINT", "remove it, or describe this node in the topology instead"),
])
def test_an_unsupported_service_key_is_refused_on_its_line(tmp_path: Path, key: str, hint: str) -> None:
    compose = COMPOSE.replace("    cpus: 0.5\n", f"    cpus: 0.5\n    {key}\n")
    error = error_for(tmp_path, compose=compose)
    name = key.split(":")[0]
    assert_in_compose_file(error, tmp_path, compose, f"    {key}", f"services.cache.{name}")
    assert error.message == f"service key '{name}' is not supported"
    assert error.hint.startswith(hint)


def test_every_unsupported_key_is_reported_not_only_the_first(tmp_path: Path) -> None:
    compose = COMPOSE.replace("    cpus: 0.5\n", "    cpus: 0.5\n    networks: [back]\n    restart: always\n")
    assert [p.field for p in error_for(tmp_path, compose=compose).problems] == ["services.cache.networks",
                                                                                "services.cache.restart"]


@pytest.mark.parametrize("mount", ["./data:/data", "/srv/data:/data", "{type: bind, source: ./d, target: /data}"])
def test_a_bind_mount_is_refused(tmp_path: Path, mount: str) -> None:
    compose = COMPOSE.replace("volumes: [data:/data]", f"volumes: [{mount}]")
    error = error_for(tmp_path, compose=compose)
    assert_in_compose_file(error, tmp_path, compose, "    volumes: [", "services.cache.volumes[0]")
    assert "is not a named volume" in error.message
    assert "use a named volume" in error.hint


@pytest.mark.parametrize(("key", "hint"), [
    ("networks", "providers replace networks"),
    ("secrets", "remove it (supported: services, volumes, version, name)"),
])
def test_an_unsupported_top_level_key_is_refused(tmp_path: Path, key: str, hint: str) -> None:
    compose = COMPOSE + f"{key}:\n  back: {{}}\n"
    error = error_for(tmp_path, compose=compose)
    assert_in_compose_file(error, tmp_path, compose, f"{key}:", key)
    assert error.message == f"top-level key '{key}' is not supported"
    assert error.hint.startswith(hint)


def test_an_environment_entry_without_a_value_is_refused(tmp_path: Path) -> None:
    compose = COMPOSE.replace("      - MODE=$CACHE_MODE", "      - MODE")
    error = error_for(tmp_path, compose=compose)
    assert_in_compose_file(error, tmp_path, compose, "      - MODE", "services.cache.environment[0]")
    assert "takes its value from the host" in error.message


@pytest.mark.parametrize(("port", "says"), [("8000-8010", "names no single container port"),
                                            ("5353/udp", "UDP is not carried by the fabric")])
def test_port_ranges_and_udp_are_refused(tmp_path: Path, port: str, says: str) -> None:
    compose = COMPOSE.replace('expose: ["8000", 8001]', f'expose: ["8000", "{port}"]')
    error = error_for(tmp_path, compose=compose)
    assert error.field == "services.web.expose[1]"
    assert says in error.message


def test_a_compose_topology_needs_place(tmp_path: Path) -> None:
    scenario = SCENARIO.replace("  place: PLACE\n", "")
    error = error_for(tmp_path, scenario=scenario)
    assert (error.file, error.field) == (str(tmp_path / "scenario.yaml"), "topology.place")
    assert error.line == line_of(scenario, "topology:")


def test_a_missing_compose_file_is_named(tmp_path: Path) -> None:
    write(tmp_path)
    (tmp_path / "compose.yaml").unlink()
    with pytest.raises(ScenarioError, match="cannot read the compose file"):
        parse_scenario((tmp_path / "scenario.yaml").read_text(), str(tmp_path / "scenario.yaml"), folder=tmp_path)
