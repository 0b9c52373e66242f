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


# The README promises every run of the three postmortems, in each architecture, in under 10
# minutes; bring-up, teardown and the report take about 17 s a run here, so seven runs leave
# 480 real seconds for timelines and graces.
REPLAY_BUDGET_S = 480.0


def test_all_runs_fit_the_ten_minute_replay_budget() -> None:
    runs = [resolve(scenario, architecture) for scenario in map(load_scenario, FILES)
            for architecture in scenario.architectures]
    for run in runs:
        assert run.timeline_end_s == pytest.approx(run.scenario.duration * run.scenario.time_scale)
    total = sum(run.run_end_s for run in runs)
    assert total <= REPLAY_BUDGET_S, (
        f"{len(runs)} runs need {total:.0f} s of timeline and grace: "
        + ", ".join(f"{run.scenario.name}/{run.architecture} {run.run_end_s:.0f} s" for run in runs)
    )
