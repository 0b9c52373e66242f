"""Mistakes in nodes, settings and invariant targets: each names file, line and field, and a fix."""

from __future__ import annotations

import pytest

from harness.scenario import ScenarioError, parse_scenario

FILE = "scenarios/nodes.yaml"
SCENARIO = """\
name: nodes
seed: 1
duration: 1m
topology:
  providers: {a: {}, b: {}}
  nodes:
    - name: cache
      provider: a
      image: "redis:7.2"
      ports: [6379]
    - name: db
      role: mongo
      provider: b
      priority: 2
    - name: spare
      role: arbiter
      provider: a
architectures:
  as-was:
    settings: {REDIS_MODE: fast, election_timeout_ms: 5000}
    expect: {broken: []}
probes:
  - {id: pings, kind: tcp, targets: [cache, "role:mongo"], every: 1s}
invariants:
  - id: up
    kind: availability
    target: pings
    min: 0.9
"""


def error_for(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, FILE)
    return caught.value


def assert_located(error: ScenarioError, text: str, needle: str, field: str) -> None:
    """The first problem is on the line holding ``needle``, at ``field``, in FILE."""
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if needle in row)
    assert (error.file, error.line, error.field) == (FILE, line, field)
    assert str(error).startswith(f"{FILE}:{line}: {field}: ")


def test_the_base_scenario_loads() -> None:
    scenario = parse_scenario(SCENARIO, FILE)
    assert scenario.topology.node("db").role_settings.priority == 2
    assert scenario.topology.node("cache").port == 6379


# (what is wrong, text replaced, its replacement, a text on the line reported, field, message, part of the hint)
NODE_MISTAKES = [
    ("a role node that also gives an image", "      role: mongo\n", "      role: mongo\n      image: mongo:7.0\n",
     "- name: db", "topology.nodes[1]", "node 'db' has role 'mongo', which fills in image itself",
     "drop image, or drop the role"),
    ("an unknown role", "role: mongo", "role: mongodb", "- name: db", "topology.nodes[1]",
     "node 'db' has unknown role 'mongodb'", "use one of: api, arbiter, echo, mongo, proxy, smtp, vantage"),
    ("a role without settings given one", "      role: arbiter\n", "      role: arbiter\n      priority: 1\n",
     "- name: spare", "topology.nodes[2]", "role 'arbiter' takes no setting 'priority' (node 'spare')", "remove it"),
    ("a node without role, image or build", '      image: "redis:7.2"\n', "", "- name: cache", "topology.nodes[0]",
     "node 'cache' needs exactly one of image, build or role", "build: ./my-service"),
    ("a node with both image and build", '      image: "redis:7.2"\n', '      image: "redis:7.2"\n      build: ./x\n',
     "- name: cache", "topology.nodes[0]", "node 'cache' needs exactly one of image, build or role", "role: smtp"),
    ("an unknown field of a plain node", "      ports: [6379]\n", "      ports: [6379]\n      colour: blue\n",
     "- name: cache", "topology.nodes[0]", "node 'cache' has unknown field 'colour'", "known fields: build, command"),
    ("depends_on an unknown node", "      ports: [6379]\n", "      ports: [6379]\n      depends_on:\n        - dbb\n",
     "- dbb", "topology.nodes[0].depends_on[0]", "unknown node 'dbb'", "did you mean 'db'"),
    ("a port listed twice in one node", "ports: [6379]", "ports: [6379, 6380, 6379]", "ports: [6379, 6380",
     "topology.nodes[0].ports", "port 6379 is listed twice", "list each port once"),
    ("a host port listed twice", "      ports: [6379]\n", "      ports: [6379]\n      host_ports: [9000, 9000]\n",
     "host_ports", "topology.nodes[0].host_ports", "port 9000 is listed twice", "list each port once"),
]


@pytest.mark.parametrize(("old", "new", "needle", "field", "message", "hint"),
                         [case[1:] for case in NODE_MISTAKES], ids=[case[0] for case in NODE_MISTAKES])
def test_a_node_mistake_names_file_line_field_and_fix(old: str, new: str, needle: str, field: str, message: str,
                                                      hint: str) -> None:
    text = SCENARIO.replace(old, new, 1)
    assert text != SCENARIO
    error = error_for(text)
    assert_located(error, text, needle, field)
    assert error.message == message
    assert hint in error.hint


def test_a_node_name_that_is_not_text_is_refused_at_its_line() -> None:
    # Found by test_fuzz: a list as a name crashed the depends_on check with TypeError.
    text = SCENARIO.replace("    - name: spare", "    - name: [spare]", 1)
    error = error_for(text)
    assert_located(error, text, "- name: [spare]", "topology.nodes[2].name")
    assert error.message == "Input should be a valid string"


def test_a_setting_the_role_does_not_take_is_refused() -> None:
    text = SCENARIO.replace("      priority: 2\n", "      spare: true\n")
    error = error_for(text)
    assert_located(error, text, "- name: db", "topology.nodes[1]")
    assert error.message == "role 'mongo' takes no setting 'spare' (node 'db')"
    assert error.hint == "its settings: priority"


def test_a_role_setting_of_the_wrong_type_is_refused() -> None:
    error = error_for(SCENARIO.replace("priority: 2", "priority: high"))
    assert error.field == "topology.nodes[1]"
    assert "priority" in error.message


def test_nodes_depending_on_each_other_in_a_circle_are_refused() -> None:
    text = SCENARIO.replace("      ports: [6379]\n", "      ports: [6379]\n      depends_on: [db]\n").replace(
        "      priority: 2\n", "      priority: 2\n      depends_on: [cache]\n")
    error = error_for(text)
    assert "depend on each other in a circle" in error.message


def test_upper_case_settings_are_environment_and_known_lower_case_ones_are_accepted() -> None:
    settings = parse_scenario(SCENARIO, FILE).architectures["as-was"].settings
    assert settings == {"REDIS_MODE": "fast", "election_timeout_ms": 5000}


@pytest.mark.parametrize("key", ["election_timeout", "Redis_Mode"])
def test_a_setting_neither_upper_case_nor_known_to_a_role_in_use_is_refused(key: str) -> None:
    text = SCENARIO.replace("REDIS_MODE: fast", f"{key}: fast")
    error = error_for(text)
    assert_located(error, text, "settings:", f"architectures.as-was.settings.{key}")
    assert error.message == f"setting '{key}' is known to no role in use"
    assert "UPPER_CASE" in error.hint and "election_timeout_ms, heartbeat_ms" in error.hint


def test_a_lower_case_setting_of_a_role_not_in_use_is_refused() -> None:
    text = SCENARIO.replace("    - name: db\n      role: mongo\n      provider: b\n      priority: 2\n", "").replace(
        "    - name: spare\n      role: arbiter\n      provider: a\n", "").replace(', "role:mongo"', "")
    error = error_for(text)
    assert error.field == "architectures.as-was.settings.election_timeout_ms"
    assert error.hint.endswith("the roles in use take none")


@pytest.mark.parametrize(("target", "message", "hint"), [
    ("ping", "unknown probe 'ping'", "did you mean 'pings'?"),  # an invariant target naming no probe
    ("pings/spare", "'pings' does not watch 'spare'", "it watches: cache, db"),  # a node the probe does not watch
])
def test_an_invariant_target_must_name_a_probe_and_a_node_it_watches(target: str, message: str, hint: str) -> None:
    text = SCENARIO.replace("target: pings", f"target: {target}")
    error = error_for(text)
    assert_located(error, text, f"target: {target}", "invariants[0].target")
    assert (error.message, error.hint) == (message, hint)


def test_probe_slash_node_naming_a_watched_node_is_accepted() -> None:
    parse_scenario(SCENARIO.replace("target: pings", "target: pings/db"), FILE)
