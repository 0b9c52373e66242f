"""The pacer keeps the rate, ramp, count and deadline it is given; shares add up to the whole."""

from __future__ import annotations

import pytest

from harness.load.pacing import Pacer
from harness.load.plan import parse_targets, share_of


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def send_times(pacer: Pacer, clock: FakeClock) -> list[float]:
    """When each attempt goes out if every reserved wait is honoured in turn."""
    times = []
    while (wait := pacer.reserve()) is not None:
        clock.now += wait
        times.append(clock.now)
    return times


def test_rate_is_kept_and_the_count_is_exact() -> None:
    clock = FakeClock()
    times = send_times(Pacer(100, 500, 60, clock=clock), clock)
    assert len(times) == 500
    assert times[-1] == pytest.approx(5.0, rel=0.01)


def test_the_deadline_stops_attempts_before_the_count_is_spent() -> None:
    clock = FakeClock()
    times = send_times(Pacer(100, 10_000, 2.0, clock=clock), clock)
    assert 195 <= len(times) <= 200
    assert max(times) < 2.0


def test_a_ramp_reaches_full_rate_after_the_ramp() -> None:
    clock = FakeClock()
    times = send_times(Pacer(100, 10_000, 20, ramp_s=10, clock=clock), clock)
    first_second = sum(1 for t in times if t < 1)
    last_second = sum(1 for t in times if 18 <= t < 19)
    assert first_second < 15
    assert last_second == pytest.approx(100, abs=2)


def test_idle_time_buys_only_a_short_burst() -> None:
    clock = FakeClock()
    pacer = Pacer(100, 10_000, 60, clock=clock)
    clock.now = 10.0  # nobody sent for 10 s
    immediate = 0
    while pacer.reserve() == 0:
        immediate += 1
    assert immediate <= 6  # 50 ms of credit at 100/s, not 10 s of backlog


def test_shares_add_up_to_the_total_and_the_rate() -> None:
    shares = [share_of(350.0, 300_001, index, 4) for index in range(4)]
    assert sum(s.total for s in shares) == 300_001
    assert sum(s.rate for s in shares) == pytest.approx(350.0)


def test_targets_outside_private_networks_are_refused() -> None:
    assert [str(t) for t in parse_targets("smtp-1=172.30.0.4:2525")] == ["smtp-1=172.30.0.4:2525"]
    with pytest.raises(ValueError, match="private"):
        parse_targets("mx=8.8.8.8:25")
    with pytest.raises(ValueError, match="name=address:port"):
        parse_targets("smtp-1=mail.example.com:25")
