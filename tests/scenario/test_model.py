import pytest

from harness.errors import HarnessError
from harness.scenario import parse_scenario, resolve


def test_resolving_scales_offsets_and_durations_but_not_grace(chicago_text: str) -> None:
    scenario = parse_scenario(chicago_text)
    run = resolve(scenario, "as-was", time_scale=0.1)
    cut = run.scheduled("chicago-cut")
    assert (cut.start_s, cut.stop_s) == pytest.approx((12.0, 78.0))  # t+2m for 11m, x0.1
    assert run.scheduled("move-to-spare").stop_s is None  # an action happens once
    assert run.timeline_end_s == pytest.approx(96.0)
    assert run.grace_s == 20.0


def test_the_files_time_scale_applies_unless_overridden(chicago_text: str) -> None:
    scenario = parse_scenario(chicago_text)
    assert resolve(scenario, "as-was").time_scale == scenario.time_scale == 0.08


@pytest.mark.parametrize("scale", [0, -0.5])
def test_a_time_scale_that_is_not_positive_is_refused_with_a_fix(chicago_text: str, scale: float) -> None:
    with pytest.raises(HarnessError, match="the time scale must be positive") as caught:
        resolve(parse_scenario(chicago_text), "as-was", time_scale=scale)
    assert "twenty times faster" in caught.value.fix


def test_an_architecture_with_its_own_topology_replaces_the_scenarios(chicago_text: str) -> None:
    scenario = parse_scenario(chicago_text)
    assert resolve(scenario, "as-was").topology.node("mongo-2").provider == "dbhost"
    assert resolve(scenario, "as-fixed").topology.node("mongo-2").provider == "east"


def test_asking_for_an_unknown_architecture_suggests_the_known_ones(chicago_text: str) -> None:
    with pytest.raises(KeyError, match="did you mean 'as-was'"):
        resolve(parse_scenario(chicago_text), "as-wass")


def test_a_load_without_for_lasts_until_the_timeline_ends(chicago_text: str) -> None:
    text = chicago_text.replace(
        "timeline:\n",
        "timeline:\n  - id: spam\n    at: t+1m\n    load: {kind: flood, targets: ['role:smtp'], domain: mailstack.test,"
        " attackers: 2, total: 100, rate: 2}\n",
    )
    run = resolve(parse_scenario(text), "as-was", time_scale=1)
    assert run.scheduled("spam").stop_s == run.timeline_end_s == 960


def test_a_scenario_dumped_to_json_validates_back_to_the_same_scenario(chicago_text: str) -> None:
    scenario = parse_scenario(chicago_text)
    dumped = scenario.model_dump(mode="json", by_alias=True)
    assert dumped["timeline"][0]["for"] == "11m"
    assert type(scenario).model_validate(dumped) == scenario


def test_an_architecture_plays_the_timeline_without_the_entries_it_leaves_out(chicago_text: str) -> None:
    text = chicago_text.replace(
        "  as-fixed:\n",
        "  as-was-unblocked:\n    settings: {ARCH: as-was}\n    without: [ip-maintenance]\n"
        "    expect: {broken: [front-available-during-cut]}\n  as-fixed:\n",
    )
    scenario = parse_scenario(text)
    assert [item.id for item in resolve(scenario, "as-was-unblocked").schedule] == ["chicago-cut", "move-to-spare"]
    assert "ip-maintenance" in [item.id for item in resolve(scenario, "as-was").schedule]
