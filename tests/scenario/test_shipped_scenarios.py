"""The postmortem scenarios in scenarios/ load, and say what each architecture should break."""

from pathlib import Path

import pytest

from harness.scenario import AS_FIXED, AS_WAS, load_scenario, resolve

from .conftest import SCENARIOS

FILES = sorted(SCENARIOS.glob("*.yaml"))


def test_the_three_postmortems_are_there() -> None:
    assert {f.name for f in FILES} >= {
        "chicago_dc_outage.yaml",
        "database_router_failure.yaml",
        "smtp_flood_4_ips.yaml",
    }


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_scenario_file_loads(path: Path) -> None:
    scenario = load_scenario(path)
    for architecture in scenario.architectures:
        resolve(scenario, architecture)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_as_was_breaks_something_and_as_fixed_nothing(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.architectures[AS_WAS].expect.broken
    assert scenario.architectures[AS_FIXED].expect.broken == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_run_takes_one_to_two_minutes_of_timeline(path: Path) -> None:
    run = resolve(load_scenario(path), AS_WAS)
    assert 60 <= run.timeline_end_s <= 120
