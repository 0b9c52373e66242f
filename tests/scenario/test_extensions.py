"""Kinds register from their own modules; a scenario's extensions: add kinds it can then use."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from harness.errors import HarnessError
from harness.extensions import ACTIONS, CHARTS, FAULTS, INVARIANTS, LOADS, PROBES, ROLES, SETUPS, Registry, load_kinds
from harness.scenario import ScenarioError, parse_scenario, resolve

EXTENSION = '''
from typing import Literal

from harness.extensions import INVARIANTS
from harness.invariants import InvariantSpec
from harness.invariants.verdict import Verdict


@INVARIANTS.register
class AlwaysHolds(InvariantSpec):
    kind: Literal["always_holds_MODULE"]

    def check(self, ctx):
        return Verdict(self.id, self.kind, True, "it always holds.")
'''
SCENARIO = """\
name: extended
seed: 1
duration: 1m
extensions: [MODULE]
topology:
  providers: {a: {}}
  nodes: [{name: box, role: vantage, provider: a}]
architectures:
  as-was: {expect: {broken: []}}
invariants:
  - {id: fine, kind: always_holds_MODULE}
"""


def test_load_kinds_registers_the_cores_and_the_systems_kinds() -> None:
    load_kinds()
    assert {"provider-outage", "router-failure", "partition", "latency", "kill", "pause", "restart",
            "maintenance-block"} <= set(FAULTS.names())
    assert {"move-floating-ip", "restart-role", "exec", "custom", "block-ips"} <= set(ACTIONS.names())
    assert LOADS.names() == ["flood"]
    assert {"mail_delivery", "mail_api", "mongo", "http", "tcp", "smtp", "exec", "custom"} <= set(PROBES.names())
    assert {"availability", "latency", "recovery", "action_succeeds", "no_mail_lost", "writes_kept", "custom",
            "error_pages_link_status", "blocklist_propagation", "primary_outside"} <= set(INVARIANTS.names())
    assert set(ROLES.names()) >= {"smtp", "api", "proxy", "mongo", "arbiter", "echo", "vantage"}
    assert "mongodb-replica-set" in SETUPS
    assert {"blocklist", "replica-set-primary"} <= set(CHARTS.names())


def test_the_removed_kinds_are_gone() -> None:
    load_kinds()
    assert "api-users" not in LOADS
    assert "blocklist" not in PROBES


def test_a_scenarios_extension_module_registers_a_kind_it_then_uses(tmp_path: Path) -> None:
    module = "ext_always_holds"
    (tmp_path / f"{module}.py").write_text(EXTENSION.replace("MODULE", module), encoding="utf-8")
    scenario = parse_scenario(SCENARIO.replace("MODULE", module), str(tmp_path / "s.yaml"), folder=tmp_path)
    (invariant,) = scenario.invariants
    assert (type(invariant).__name__, invariant.kind) == ("AlwaysHolds", f"always_holds_{module}")
    assert f"always_holds_{module}" in INVARIANTS
    assert resolve(scenario, "as-was").scenario is scenario


def test_an_extension_that_cannot_be_imported_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SCENARIO.replace("MODULE", "no_such_extension_here"), str(tmp_path / "s.yaml"), folder=tmp_path)
    assert caught.value.field == "extensions[0]"
    assert "importing 'no_such_extension_here' failed" in caught.value.message


def test_an_unknown_kind_lists_what_is_registered(tmp_path: Path) -> None:
    text = SCENARIO.replace("extensions: [MODULE]\n", "").replace("always_holds_MODULE", "availabilty")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, str(tmp_path / "s.yaml"))
    assert caught.value.field == "invariants[0].kind"
    assert "did you mean 'availability'" in caught.value.hint


def test_a_name_registered_twice_by_different_kinds_is_refused() -> None:
    class One(BaseModel):
        name: str = "twice"

    registry: Registry[BaseModel] = Registry("thing", lambda item: item.name)
    first = registry.register(One())
    assert registry.register(first) is first  # the same kind again is harmless
    with pytest.raises(HarnessError, match="thing 'twice' is registered twice"):
        registry.register(One())
    with pytest.raises(KeyError, match=r"unknown thing 'thrice' \(known: twice\)"):
        registry["thrice"]
