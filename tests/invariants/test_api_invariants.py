import pytest

from harness.events import FAULT_START, LOAD_START
from harness.invariants import Unjudgeable
from harness.invariants.availability import Availability
from harness.invariants.latency import LatencyBound
from harness.probes.smtp import SMTP_SEND
from systems.mailstack.invariants import ErrorPagesLinkStatus


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
    verdict = availability().check(judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(15.0, 25.0)]
    assert verdict.measured["ok_ratio"]["floating"] == pytest.approx(11 / 21)  # requests at 10..30 inclusive
    assert "under the 90% minimum" in verdict.summary
    assert "longest outage 10.0 s" in verdict.summary


def test_availability_holds_when_failures_stay_outside_the_phase(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60, ok=lambda t: not 40 <= t < 50)
    verdict = availability().check(judge_with(history))
    assert verdict.held
    assert verdict.broken_windows == []


def test_availability_after_a_settle_ignores_the_phases_first_seconds_only(history, judge_with) -> None:
    # A failover: down for the first 8 s of the cut (the election), then up.
    history.fault("cut", 10, 40).requests("front", 0, 60, ok=lambda t: not 10 <= t < 18)
    assert availability(minimum=0.99).check(judge_with(history)).broken
    settled = availability(minimum=0.99, settle="10s").check(judge_with(history))
    assert settled.held
    assert "during cut after its first 10.0 s" in settled.summary
    assert availability(minimum=0.99, settle="5s").check(judge_with(history)).broken


def test_availability_of_a_probe_judges_each_target_and_reports_the_one_that_broke(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("legs/api-1", 0, 60).requests("legs/api-2", 0, 60, ok=lambda t: t < 20)
    verdict = availability(target="legs").check(judge_with(history))
    assert verdict.broken
    assert verdict.summary.startswith("api-2 answered only")
    assert verdict.broken_windows == [(20.0, 30.0)]  # still failing when the phase ends
    assert verdict.measured["ok_ratio"]["api-1"] == 1.0


def test_probe_slash_node_judges_only_that_node(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("legs/api-1", 0, 60).requests("legs/api-2", 0, 60, ok=lambda t: t < 20)
    verdict = availability(target="legs/api-1").check(judge_with(history))
    assert verdict.held
    assert list(verdict.measured["ok_ratio"]) == ["api-1"]
    assert availability(target="legs/api-2").check(judge_with(history)).broken


def test_a_probe_is_judged_only_on_its_own_events_not_another_probes_of_the_same_target(
        history, judge_with) -> None:
    # The legs probe fails throughout; the front probe, judged here, never does.
    history.fault("cut", 10, 30).requests("front", 0, 60).requests("legs/api-1", 0, 60, ok=lambda t: False)
    history.request(20.5, "legs", ok=False)  # legs' source, the floating IP's target name
    verdict = availability().check(judge_with(history))
    assert verdict.held
    assert verdict.measured["requests"] == {"floating": 21}


def test_availability_of_mail_counts_accepted_sends(history, judge_with) -> None:
    history.fault("cut", 10, 30)
    for t in range(0, 40):
        history.add(t, SMTP_SEND, "smtp-1", ok=t % 2 == 0, source="mail", message_id=f"m{t}", code=250,
                    accepted=t % 2 == 0)
    assert availability(target="mail").check(judge_with(history)).broken


def test_a_flood_load_is_judged_by_its_legitimate_senders_mail(history, judge_with) -> None:
    history.fault("cut", 10, 30)
    for t in range(0, 40):
        history.add(t, SMTP_SEND, "smtp-2", ok=True, source="flood", message_id=f"l{t}", code=250, accepted=True,
                    sender_ip="172.30.1.9", error=None)
    verdict = availability(target="flood").check(judge_with(history))
    assert verdict.held
    assert verdict.measured["requests"] == {"smtp-2": 21}


def test_availability_is_unjudgeable_when_the_fault_never_started(history, judge_with) -> None:
    history.requests("front", 0, 60)
    with pytest.raises(Unjudgeable, match="never started"):
        availability().check(judge_with(history))


def test_availability_is_unjudgeable_without_requests_in_the_phase(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 40, 60)
    with pytest.raises(Unjudgeable, match="did the probe run"):
        availability().check(judge_with(history))


def test_a_probe_that_recorded_nothing_is_unjudgeable(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60)
    with pytest.raises(Unjudgeable, match="probe 'legs' recorded nothing"):
        availability(target="legs").check(judge_with(history))


def test_latency_breaks_over_the_bound_with_the_window_of_slow_requests(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60, latency=lambda t: 900.0 if 20 <= t < 25 else 30.0)
    verdict = latency().check(judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(20.0, 25.0)]
    assert verdict.measured["p99"]["floating"] == 900.0


def test_latency_holds_under_the_bound(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60, latency=lambda t: 120.0)
    verdict = latency().check(judge_with(history))
    assert verdict.held
    assert verdict.measured["p99"]["floating"] == 120.0


def test_a_timed_out_request_counts_as_the_probe_timeout(history, judge_with) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60)
    history.request(20.5, "front", ok=False, latency_ms=None, status=None, timed_out=True, status_link=False)
    ctx = judge_with(history)
    verdict = latency(max_="2s").check(ctx)
    assert verdict.broken
    assert verdict.measured["p99"]["floating"] == 3000.0  # the front probe's timeout is 3s
    assert verdict.measured["timeouts"]["floating"] == 1


def test_error_pages_without_a_status_link_break_it(history, judge_with) -> None:
    history.requests("front", 0, 30, ok=lambda t: t < 10)
    history.request(12.5, "front", ok=False, status=502, status_link=False)
    inv = ErrorPagesLinkStatus(id="pages", kind="error_pages_link_status", target="front")
    verdict = inv.check(judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(12.5, 13.0)]
    assert verdict.measured["without_status_link"] == {"floating": 1}


def test_error_pages_that_link_the_status_page_hold(history, judge_with) -> None:
    history.requests("front", 0, 30, ok=lambda t: t < 10)
    inv = ErrorPagesLinkStatus(id="pages", kind="error_pages_link_status", target="front")
    verdict = inv.check(judge_with(history))
    assert verdict.held
    assert verdict.measured["error_pages"] == {"floating": 20}


def test_a_fault_that_failed_to_apply_makes_its_phase_unjudgeable(history, judge_with) -> None:
    history.add(10, FAULT_START, "cut", ok=False, error="toxiproxy did not answer").requests("front", 0, 60)
    with pytest.raises(Unjudgeable, match="failed to start: toxiproxy did not answer"):
        availability().check(judge_with(history))


def test_a_load_that_never_ran_makes_its_phase_unjudgeable(history, judge_with) -> None:
    history.add(0, LOAD_START, "flood", ok=False, error="load generation is not available")
    history.requests("front", 0, 60)
    with pytest.raises(Unjudgeable, match="load 'flood' failed to start"):
        availability(phase="during:flood").check(judge_with(history))
