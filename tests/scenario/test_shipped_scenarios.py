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


# The README promises every run of the three postmortems, both ways, in under 10 minutes with
# stack bring-up; that leaves each run at most 90 real seconds of timeline (duration x time_scale).
RUN_BUDGET_S = 90.0


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_run_fits_the_ten_minute_replay_budget(path: Path) -> None:
    scenario = load_scenario(path)
    for architecture in scenario.architectures:
        run = resolve(scenario, architecture)
        assert run.timeline_end_s == pytest.approx(scenario.duration * scenario.time_scale)
        assert 0 < run.timeline_end_s <= RUN_BUDGET_S, f"{architecture}: {run.timeline_end_s:.1f} s of timeline"
