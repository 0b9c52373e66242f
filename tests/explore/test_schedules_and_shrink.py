"""The explorer's pure parts: seeded schedules within their space, and shrinking a failing one."""

from __future__ import annotations

from typing import Any

import pytest

from harness.durations import parse_duration, parse_offset
from harness.explore.schedules import draw_schedule
from harness.explore.shrink import Shrinker
from harness.explore.space import resolve_space
from harness.extensions import load_kinds
from harness.scenario.explore import ExploreSection
from harness.topology import Topology

load_kinds()
TOPOLOGY = Topology.model_validate({
    "providers": {"a": {}, "b": {}, "c": {}},
    "nodes": [{"name": "db-1", "role": "echo", "provider": "a"},
              {"name": "db-2", "role": "echo", "provider": "b"},
              {"name": "db-3", "role": "echo", "provider": "c"}],
})


def _space(**choices: Any):  # type: ignore[no-untyped-def]
    return resolve_space(ExploreSection.model_validate(choices), TOPOLOGY, 60.0)


def test_the_same_seed_draws_the_same_schedule_and_another_seed_another() -> None:
    space = _space(faults=3)
    assert draw_schedule(space, 7) == draw_schedule(space, 7)
    assert any(draw_schedule(space, 7) != draw_schedule(space, seed) for seed in range(8, 20))


@pytest.mark.parametrize("seed", range(40))
def test_a_schedule_keeps_to_its_space(seed: int) -> None:
    space = _space(kinds=["provider-outage", "partition", "kill"], providers=["a", "b"], nodes=["db-1"],
                   duration={"min": "5s", "max": "20s"}, faults=3, concurrent=1, quiet="5s", length="1m")
    entries = draw_schedule(space, seed)
    assert 1 <= len(entries) <= 3
    windows = []
    for entry in entries:
        fault = entry["fault"]
        assert fault["kind"] in ("provider-outage", "partition", "kill")
        assert fault.get("provider", "a") in ("a", "b") and fault.get("node", "db-1") == "db-1"
        assert set(fault.get("between", ["a", "b"])) <= {"a", "b"}
        start, length = parse_offset(entry["at"]), parse_duration(entry["for"])
        assert 5 <= length <= 20 and start + length <= 60
        windows.append((start, start + length))
    windows.sort()
    for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
        assert start >= end + 5  # one at a time, 5 s of quiet between


def test_a_kind_the_explorer_cannot_draw_is_named() -> None:
    from harness.scenario.explore import drawable_kinds

    assert "maintenance-block" not in drawable_kinds() and "provider-outage" in drawable_kinds()


def _entry(number: int, fault: dict[str, Any], length: str = "16s") -> dict[str, Any]:
    return {"id": f"f{number}", "at": f"t+{number}s", "for": length, "fault": fault}


def test_shrinking_drops_the_faults_that_do_not_matter_shortens_and_narrows_the_one_that_does() -> None:
    # The "system": it fails when a lasts 4 s or more cut off from b (an outage of a, or a partition a-b).
    def fails(entries: list[dict[str, Any]]) -> bool:
        for entry in entries:
            fault, length = entry["fault"], parse_duration(entry["for"])
            cuts_a_from_b = (fault["kind"] == "provider-outage" and fault["provider"] == "a") or (
                fault["kind"] == "partition" and fault["between"][0] == "a" and fault["between"][1] in ("b", "db-2"))
            if cuts_a_from_b and length >= 4:
                return True
        return False

    schedule = [_entry(1, {"kind": "kill", "node": "db-3"}),
                _entry(2, {"kind": "provider-outage", "provider": "a", "mode": "blackhole"}),
                _entry(3, {"kind": "pause", "node": "db-2"})]
    runs: list[int] = []

    def run_once(entries: list[dict[str, Any]]) -> bool:
        runs.append(len(entries))
        return fails(entries)

    shrinker = Shrinker(run_once, TOPOLOGY, min_s=2.0)
    assert fails(schedule)
    minimal = shrinker.shrink(schedule)
    assert len(minimal) == 1
    assert minimal[0]["fault"] == {"kind": "partition", "between": ["a", "db-2"], "direction": "one-way"}
    assert parse_duration(minimal[0]["for"]) == 4
    assert all(step.runs in (2, 3) for step in shrinker.steps)  # a vote stops once decided


def test_a_candidate_counts_as_failing_only_when_most_of_its_runs_fail() -> None:
    outcomes = iter([True, False, False])
    shrinker = Shrinker(lambda entries: next(outcomes), TOPOLOGY, min_s=1.0)
    assert not shrinker.fails([_entry(1, {"kind": "kill", "node": "db-1"})], "one flake")
    assert shrinker.steps[0].failures == 1 and shrinker.steps[0].runs == 3


def test_an_explore_section_names_what_it_cannot_use_with_its_line() -> None:
    from harness.scenario import ScenarioError, parse_scenario

    text = """
name: x
seed: 1
duration: 1m
topology:
  providers: {a: {}, b: {}}
  nodes: [{name: e-1, role: echo, provider: a}, {name: e-2, role: echo, provider: b}]
architectures: {as-fixed: {expect: {broken: []}}}
probes: [{id: echoes, kind: tcp, targets: [e-1, e-2], every: 1s}]
invariants: [{id: up, kind: availability, target: echoes, min: 0.5}]
explore:
  kinds: [provider-outage, maintenance-block]
  providers: [a, z]
"""
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(text, "x.yaml")
    rendered = str(raised.value)
    assert "x.yaml:12: explore.kinds[1]: fault kind 'maintenance-block' cannot be drawn by the explorer" in rendered
    assert "x.yaml:13: explore.providers[1]: unknown provider 'z'" in rendered
