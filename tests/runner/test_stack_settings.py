"""What a scenario's architecture settings become for the stack.

Settings are checked when the scenario loads (harness.scenario.references): UPPER_CASE
ones are every node's environment, lower-case ones must belong to a role or set-up in
use, and each role in use may refuse an architecture it cannot build (the mail stack's
needs ARCH). The runner hands them on as strings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.extensions import ROLES
from harness.roles import StackContext
from harness.runner import stack_settings
from harness.runtime.images import ImageSet, Profile
from harness.scenario import ScenarioError, load_scenario, parse_scenario, resolve

SCENARIO = Path(__file__).parents[1] / "engine" / "scenarios" / "slow_database_link.yaml"
IMAGES = ImageSet(Profile.LOCAL, node="node:test", proxy="proxy:test", toxiproxy="toxiproxy:test", mongo=None)


def test_upper_case_settings_and_replica_set_timings_reach_the_stack_as_strings() -> None:
    run = resolve(load_scenario(SCENARIO), "slow")
    run.settings["election_timeout_ms"] = 5000
    settings = stack_settings(run)
    assert settings["ARCH"] == "as-fixed"
    assert settings["election_timeout_ms"] == "5000"


def test_a_setting_no_role_in_use_knows_is_refused_when_the_scenario_loads() -> None:
    text = SCENARIO.read_text().replace("    settings: {ARCH: as-fixed}\n    expect: {broken: [far-leg-quick]}",
                                        "    settings: {ARCH: as-fixed, blocklist_source: api}\n"
                                        "    expect: {broken: [far-leg-quick]}")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "slow.yaml")
    assert caught.value.field == "architectures.slow.settings.blocklist_source"
    assert "the roles in use take election_timeout_ms, heartbeat_ms" in caught.value.hint


def test_a_custom_architecture_must_name_its_service_architecture() -> None:
    text = SCENARIO.read_text().replace("    settings: {ARCH: as-fixed}\n    expect: {broken: []}",
                                        "    expect: {broken: []}")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "slow.yaml")
    assert caught.value.field == "architectures.near.settings"
    assert "architecture 'near' does not say how the mail services are built" in caught.value.message
    assert "ARCH: as-was" in caught.value.message


def test_an_architecture_named_as_was_or_as_fixed_needs_no_arch_setting() -> None:
    text = SCENARIO.read_text().replace("  slow:\n    settings: {ARCH: as-fixed}\n", "  as-was:\n").replace(
        "  near:\n", "  as-fixed:\n").replace("    settings: {ARCH: as-fixed}\n    expect: {broken: []}",
                                              "    expect: {broken: []}")
    scenario = parse_scenario(text, "slow.yaml")
    run = resolve(scenario, "as-was")
    context = StackContext(run.topology, IMAGES, "r1", run.architecture, stack_settings(run))
    api = ROLES["api"].expand(run.topology.node("leg-far"), context)
    assert api.env["ARCH"] == "as-was"
    # Role nodes without ports take the first port free from the role's own: one Toxiproxy shard.
    assert api.env["MONGO_URI"] == "mongodb://rs-a:27017,rs-b:27018,rs-c:27019/?replicaSet=rs0"


def test_the_arch_setting_wins_over_the_architectures_name() -> None:
    run = resolve(load_scenario(SCENARIO), "slow")
    context = StackContext(run.topology, IMAGES, "r1", run.architecture, stack_settings(run))
    assert ROLES["smtp"].expand(run.topology.node("mx-1"), context).env["ARCH"] == "as-fixed"
