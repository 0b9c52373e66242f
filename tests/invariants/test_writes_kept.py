"""writes_kept: every write a probe saw acknowledged is in what a later read found."""

from __future__ import annotations

import pytest

from harness.events import ACTION_END, ACTION_START
from harness.invariants import JudgeContext, Unjudgeable
from harness.invariants.writes_kept import WritesKept
from harness.probes.exec import EXEC_RUN
from harness.scenario import Scenario, ScenarioError, parse_scenario, resolve

from .conftest import HistoryBuilder

SCENARIO = """
name: writes
seed: 1
duration: 1m
grace: 5s
topology:
  providers: {a: {}, b: {}}
  nodes:
    - {name: db-1, image: "redis:7.2", ports: [6379], provider: a}
    - {name: db-2, image: "redis:7.2", ports: [6379], provider: b}
architectures:
  as-was: {expect: {broken: [kept]}}
timeline:
  - {id: cut, at: t+10s, for: 20s, fault: {kind: partition, between: [a, b]}}
  - {id: read, at: t+50s, action: {kind: exec, node: db-1, command: "cat /ids.json"}}
probes:
  - {id: writer, kind: exec, targets: [db-1, db-2], every: 1s, command: "write-one"}
invariants:
  - {id: kept, kind: writes_kept, writes: writer, read: read}
"""


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return parse_scenario(SCENARIO, "writes.yaml")


def kept(**extra: object) -> WritesKept:
    return WritesKept.model_validate({"id": "kept", "kind": "writes_kept", "writes": "writer", "read": "read",
                                      **extra})


def writes(history: HistoryBuilder, node: str, ids: range, ok: bool = True) -> None:
    for n in ids:
        history.add(float(n), EXEC_RUN, node, ok=ok, source="writer", exit_code=0 if ok else 1, id=f"{node}-{n}")


def read(history: HistoryBuilder, found: list[str] | None, error: str | None = None) -> None:
    history.add(50, ACTION_START, "read", action="exec")
    history.add(50.5, ACTION_END, "read", ok=error is None, action="exec", error=error,
                output=None if found is None else {"ids": found})


def judge(scenario: Scenario, history: HistoryBuilder) -> JudgeContext:
    return JudgeContext(resolve(scenario, "as-was"), history.build())


def test_every_acknowledged_write_found_holds(scenario, history) -> None:
    writes(history, "db-1", range(0, 20))
    writes(history, "db-2", range(0, 5), ok=False)  # refused writes were never acknowledged
    read(history, [f"db-1-{n}" for n in range(0, 20)])
    verdict = kept().check(judge(scenario, history))
    assert verdict.held
    assert verdict.measured["acknowledged"] == 20


def test_lost_acknowledged_writes_break_it_naming_the_first_and_its_target(scenario, history) -> None:
    history.fault("cut", 10, 30)
    writes(history, "db-1", range(0, 20))
    writes(history, "db-2", range(0, 20))
    read(history, [f"db-1-{n}" for n in range(0, 20)] + [f"db-2-{n}" for n in range(0, 12)])
    verdict = kept().check(judge(scenario, history))
    assert verdict.broken
    assert verdict.measured["lost"] == 8
    assert verdict.measured["lost_by_target"] == {"db-2": 8}
    assert verdict.broken_windows == [(12.0, 19.0)]
    assert "to db-2" in verdict.summary


def test_writes_lost_inside_may_lose_are_excused(scenario, history) -> None:
    history.fault("cut", 10, 30)
    writes(history, "db-2", range(0, 20))
    read(history, [f"db-2-{n}" for n in range(0, 20) if not 10 <= n <= 14])
    verdict = kept(may_lose={"from": "cut", "for": "5s"}).check(judge(scenario, history))
    assert verdict.held
    assert verdict.measured["lost_but_excused"] == 5
    assert "which the design allows" in verdict.summary
    assert kept(may_lose={"from": "cut", "for": "3s"}).check(judge(scenario, history)).broken


def test_a_failed_read_is_unjudgeable(scenario, history) -> None:
    writes(history, "db-1", range(0, 5))
    read(history, None, error="cat exited with 1")
    with pytest.raises(Unjudgeable, match="did not succeed: cat exited with 1"):
        kept().check(judge(scenario, history))


def test_a_read_that_printed_no_id_list_is_unjudgeable(scenario, history) -> None:
    writes(history, "db-1", range(0, 5))
    history.add(50, ACTION_START, "read", action="exec")
    history.add(50.5, ACTION_END, "read", ok=True, action="exec", error=None, output="OK")
    with pytest.raises(Unjudgeable, match="no JSON object with a 'ids' list"):
        kept().check(judge(scenario, history))


def test_writes_kept_names_a_declared_probe_and_action(scenario) -> None:
    text = SCENARIO.replace("writes: writer, read: read", "writes: writr, read: reed")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "writes.yaml")
    assert {p.field for p in caught.value.problems} == {"invariants[0].writes", "invariants[0].read"}
