import pytest

from harness.events import NODE_RESTART
from harness.invariants import Unjudgeable
from harness.invariants.recovery import Recovery


def recovery(after: str = "cut", within: str = "15s", without_restart: bool = True, from_: str = "end") -> Recovery:
    return Recovery.model_validate({"id": "back", "kind": "recovery", "target": "front", "after": after,
                                    "from": from_, "within": within, "without_restart": without_restart})


def test_recovery_that_needed_a_restart_breaks_it(history, judge_with) -> None:
    # The 2018 case: the API stays down after the heal until the servers are restarted.
    history.fault("cut", 10, 30).requests("front", 0, 60, ok=lambda t: not 10 <= t < 45)
    history.add(42, NODE_RESTART, "api-1", reason="restart-role")
    history.add(44, NODE_RESTART, "api-2", reason="restart-role")
    verdict = recovery().check(judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(30.0, 45.0)]
    assert verdict.measured["recovery_s"] == 15.0
    assert verdict.measured["restarts_before_recovery"] == ["api-1", "api-2"]
    assert "needed a restart" in verdict.summary


def test_the_same_recovery_is_fine_when_restarts_are_allowed(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60, ok=lambda t: not 10 <= t < 45)
    history.add(42, NODE_RESTART, "api-1", reason="restart-role")
    assert recovery(without_restart=False).check(judge_with(history)).held


def test_recovery_later_than_the_bound_breaks_it(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 80, ok=lambda t: not 10 <= t < 60)
    verdict = recovery().check(judge_with(history))
    assert verdict.broken
    assert verdict.measured["recovery_s"] == 30.0
    assert verdict.broken_windows == [(30.0, 60.0)]


def test_quick_recovery_without_restart_holds(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60, ok=lambda t: not 10 <= t < 32)
    verdict = recovery().check(judge_with(history))
    assert verdict.held
    assert verdict.measured["recovered_at_s"] == {"floating": 32.0}
    assert "without any restart" in verdict.summary


def test_a_blip_during_a_later_restart_does_not_undo_a_recovery(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60, ok=lambda t: not (10 <= t < 31 or t == 41))
    history.action("restart-api", 40, 45).add(40.5, NODE_RESTART, "api-1", reason="restart-role")
    verdict = recovery().check(judge_with(history))
    assert verdict.held
    assert verdict.measured["recovery_s"] == 1.0


def test_a_target_that_never_comes_back_breaks_it(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60, ok=lambda t: t < 10)
    verdict = recovery().check(judge_with(history))
    assert verdict.broken
    assert verdict.measured["recovery_s"] is None
    assert "never answered steadily again" in verdict.summary


def test_recovery_can_be_measured_from_an_operator_action(history, judge_with) -> None:
    # Chicago: the front must be back within seconds of moving the floating IP.
    history.action("move", 5, 6).requests("front", 0, 30, ok=lambda t: t >= 8)
    verdict = recovery(after="move").check(judge_with(history))
    assert verdict.held
    assert verdict.measured["recovery_s"] == 2.0


def test_recovery_is_unjudgeable_when_the_fault_never_ended(history, judge_with) -> None:
    history.fault("cut", 10, None).requests("front", 0, 60)
    with pytest.raises(Unjudgeable, match="'cut' never ended"):
        recovery().check(judge_with(history))


def test_recovery_from_start_is_measured_from_the_fault_starting(history, judge_with) -> None:
    # A failover: the front is down for the election at the start of the cut, then back while it lasts.
    history.fault("cut", 10, 40).requests("front", 0, 60, ok=lambda t: not 10 <= t < 22)
    verdict = recovery(from_="start").check(judge_with(history))
    assert verdict.held
    assert verdict.measured["anchor_s"] == 10.0
    assert verdict.measured["recovery_s"] == 12.0
    assert "after 'cut' started" in verdict.summary
    assert recovery(from_="start", within="10s").check(judge_with(history)).broken


def test_recovery_from_start_needs_no_end(history, judge_with) -> None:
    history.fault("cut", 10, None).requests("front", 0, 60, ok=lambda t: not 10 <= t < 14)
    assert recovery(from_="start").check(judge_with(history)).measured["recovery_s"] == 4.0
