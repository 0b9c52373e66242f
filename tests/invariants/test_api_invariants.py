import pytest

from harness.invariants import check_invariant
from harness.scenario.invariants import Availability, ErrorPagesLinkStatus, LatencyBound


def availability(target: str = "front", phase: str = "during:cut", minimum: float = 0.9,
                 settle: str = "0s") -> Availability:
    return Availability.model_validate(
        {"id": "up", "kind": "availability", "target": target, "min": minimum, "phase": phase, "settle": settle}
    )


def latency(target: str = "front", max_: str = "500ms") -> LatencyBound:
    return LatencyBound.model_validate(
        {"id": "fast", "kind": "latency", "target": target, "percentile": 99, "max": max_, "phase": "during:cut"}
    )


def test_availability_breaks_with_the_window_of_the_failure_run(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60, ok=lambda t: not 15 <= t < 25)
    verdict = check_invariant(availability(), judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(15.0, 25.0)]
    assert verdict.measured["ok_ratio"]["front"] == pytest.approx(11 / 21)  # requests at 10..30 inclusive
    assert "under the 90% minimum" in verdict.summary
    assert "longest outage 10.0 s" in verdict.summary


def test_availability_holds_when_failures_stay_outside_the_phase(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60, ok=lambda t: not 40 <= t < 50)
    verdict = check_invariant(availability(), judge_with(history))
    assert verdict.held
    assert verdict.broken_windows == []


def test_availability_after_a_settle_ignores_the_phases_first_seconds_only(history, judge_with) -> None:
    # A failover: down for the first 8 s of the cut (the election), then up.
    history.fault("cut", 10, 40).requests("front", 0, 60, ok=lambda t: not 10 <= t < 18)
    assert check_invariant(availability(minimum=0.99), judge_with(history)).broken
    settled = check_invariant(availability(minimum=0.99, settle="10s"), judge_with(history))
    assert settled.held
    assert "during cut after its first 10.0 s" in settled.summary
    assert check_invariant(availability(minimum=0.99, settle="5s"), judge_with(history)).broken


def test_availability_of_legs_judges_each_leg_and_reports_the_one_that_broke(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("api-1", 0, 60).requests("api-2", 0, 60, ok=lambda t: t < 20)
    verdict = check_invariant(availability(target="legs"), judge_with(history))
    assert verdict.broken
    assert verdict.summary.startswith("api-2 answered only")
    assert verdict.broken_windows == [(20.0, 30.0)]  # still failing when the phase ends
    assert verdict.measured["ok_ratio"]["api-1"] == 1.0


def test_availability_of_mail_counts_accepted_sends(history, judge_with) -> None:
    history.fault("cut", 10, 30)
    for t in range(0, 40):
        history.add(t, "smtp.send", "smtp-1", ok=t % 2 == 0, message_id=f"m{t}", code=250, accepted=t % 2 == 0)
    assert check_invariant(availability(target="mail"), judge_with(history)).broken


def test_availability_is_inconclusive_when_the_fault_never_started(history, judge_with) -> None:
    history.requests("front", 0, 60)
    verdict = check_invariant(availability(), judge_with(history))
    assert verdict.inconclusive and not verdict.held
    assert "never started" in verdict.summary


def test_availability_is_inconclusive_without_requests_in_the_phase(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 40, 60)
    assert "did the probe run" in check_invariant(availability(), judge_with(history)).summary


def test_latency_breaks_over_the_bound_with_the_window_of_slow_requests(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60, latency=lambda t: 900.0 if 20 <= t < 25 else 30.0)
    verdict = check_invariant(latency(), judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(20.0, 25.0)]
    assert verdict.measured["p99"]["front"] == 900.0


def test_latency_holds_under_the_bound(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60, latency=lambda t: 120.0)
    verdict = check_invariant(latency(), judge_with(history))
    assert verdict.held
    assert verdict.measured["p99"]["front"] == 120.0


def test_a_timed_out_request_counts_as_the_probe_timeout(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60)
    history.add(20.5, "api.request", "front", ok=False, latency_ms=None, status=None, timed_out=True,
                status_link=False)
    verdict = check_invariant(latency(max_="2s"), judge_with(history))
    assert verdict.broken
    assert verdict.measured["p99"]["front"] == 3000.0  # probes.api.timeout is 3s
    assert verdict.measured["timeouts"]["front"] == 1


def test_error_pages_without_a_status_link_break_it(history, judge_with) -> None:
    history.requests("front", 0, 30, ok=lambda t: t < 10)
    history.add(12.5, "api.request", "front", ok=False, status=502, timed_out=False, status_link=False)
    inv = ErrorPagesLinkStatus(id="pages", kind="error_pages_link_status", target="front")
    verdict = check_invariant(inv, judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(12.5, 13.0)]
    assert verdict.measured["without_status_link"] == {"front": 1}


def test_error_pages_that_link_the_status_page_hold(history, judge_with) -> None:
    history.requests("front", 0, 30, ok=lambda t: t < 10)
    inv = ErrorPagesLinkStatus(id="pages", kind="error_pages_link_status", target="front")
    verdict = check_invariant(inv, judge_with(history))
    assert verdict.held
    assert verdict.measured["error_pages"] == {"front": 20}


def test_a_fault_that_failed_to_apply_makes_its_phase_unjudgeable(history, judge_with) -> None:
    history.add(10, "fault.start", "cut", ok=False, error="toxiproxy did not answer").requests("front", 0, 60)
    verdict = check_invariant(availability(), judge_with(history))
    assert verdict.inconclusive
    assert "failed to start: toxiproxy did not answer" in verdict.summary


def test_a_load_that_never_ran_makes_its_phase_unjudgeable(history, judge_with) -> None:
    history.add(0, "load.start", "flood", ok=False, error="load generation is not available")
    history.requests("front", 0, 60)
    verdict = check_invariant(availability(phase="during:flood"), judge_with(history))
    assert "load 'flood' failed to start" in verdict.summary
