"""Every flood is bounded, and a Flood entry becomes the numbers a run uses."""

from __future__ import annotations

import pytest

from harness.errors import HarnessError
from harness.load.settings import MAX_ATTACKERS, MAX_DURATION_S, MAX_TOTAL, settle
from harness.loads.flood import Flood


def flood(**overrides: object) -> Flood:
    fields: dict[str, object] = {"kind": "flood", "targets": ["role:smtp"], "domain": "mailstack.test", "attackers": 4, "total": 300_000, "rate": 350.0,
                                 "ramp": "30s", "legit_rate": 5.0}
    return Flood.model_validate({**fields, **overrides})


def test_the_incident_flood_at_the_scenario_time_scale() -> None:
    settings = settle(flood(), duration_s=72.0, time_scale=0.08)
    assert settings.ramp_s == pytest.approx(2.4)  # ramp is incident time, scaled like for:
    assert settings.rate == 350.0  # rates are real time, never scaled
    assert settings.legit_total == 360
    assert settings.sample_fraction == pytest.approx(20 / 350)
    assert settings.connections == 1


@pytest.mark.parametrize(("spec", "duration_s", "says"), [
    (flood(total=MAX_TOTAL + 1), 60.0, "lower `total`"),
    (flood(attackers=MAX_ATTACKERS + 1), 60.0, f"at most {MAX_ATTACKERS} attackers"),
    (flood(), MAX_DURATION_S + 1, "`for:` within that bound"),
    (flood(), 0.0, "`for:` within that bound"),
])
def test_unbounded_floods_are_refused_with_a_fix(spec: Flood, duration_s: float, says: str) -> None:
    with pytest.raises(HarnessError) as refused:
        settle(spec, duration_s=duration_s)
    assert says in refused.value.fix


def test_sessions_come_from_the_caller_then_the_scenario_then_the_rate() -> None:
    assert settle(flood(connections=8), duration_s=60).connections == 8
    assert settle(flood(connections=8), duration_s=60, connections=2).connections == 2
    assert settle(flood(rate=4000.0), duration_s=60).connections == 2
