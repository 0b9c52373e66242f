"""The small leg's CPU share is corrected from what it sustained under the shares before."""

import pytest

from systems.mailstack.calibration import _next_guess

# A leg that sustains 1250 ingests/s per CPU above an idle 0.032 CPU: 71/s at 0.0888 CPU.
IDLE, PER_CPU, TARGET = 0.032, 1250.0, 71.0


def sustained(cpus: float) -> float:
    return PER_CPU * (cpus - IDLE)


def test_one_measurement_scales_the_share_in_proportion() -> None:
    assert _next_guess([(0.07, 49.0)], target=TARGET) == pytest.approx(0.07 * TARGET / 49)


def test_two_measurements_either_side_of_the_target_find_it_on_their_line() -> None:
    steps = [(0.0714, sustained(0.0714)), (0.1034, sustained(0.1034))]
    assert _next_guess(steps, target=TARGET) == pytest.approx(IDLE + TARGET / PER_CPU)


def test_two_close_noisy_measurements_do_not_throw_the_share_past_their_answers() -> None:
    # Measured in a run: the line through them reaches 71/s only at 0.166 CPU.
    guess = _next_guess([(0.0651, 55.0), (0.0841, 58.0)], target=TARGET)
    assert guess == pytest.approx(0.0841 * TARGET / 58)


def test_a_rate_that_fell_with_more_cpu_gives_no_line_and_the_answers_are_averaged() -> None:
    guess = _next_guess([(0.0616, 52.7), (0.0831, 47.3)], target=TARGET)
    assert 0.0616 * TARGET / 52.7 < guess < 0.0831 * TARGET / 47.3
