"""What a scenario's architecture settings become for the stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.runner import stack_settings
from harness.scenario import load_scenario, resolve

SCENARIO = Path(__file__).parents[1] / "engine" / "scenarios" / "slow_database_link.yaml"


def test_upper_case_settings_and_replica_set_timings_reach_the_stack() -> None:
    run = resolve(load_scenario(SCENARIO), "slow")
    settings = stack_settings(run)
    assert settings["ARCH"] == "as-fixed"


def test_a_setting_the_harness_does_not_know_is_refused_not_dropped() -> None:
    run = resolve(load_scenario(SCENARIO), "slow")
    run.settings["blocklist_source"] = "api"
    with pytest.raises(HarnessError, match="blocklist_source"):
        stack_settings(run)


def test_a_custom_architecture_must_name_its_service_architecture() -> None:
    run = resolve(load_scenario(SCENARIO), "near")
    run.settings.pop("ARCH")
    with pytest.raises(HarnessError, match="ARCH"):
        stack_settings(run)
