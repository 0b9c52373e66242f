"""The small leg's CPU share is corrected from what it sustained under the shares before."""

import pytest

from systems.mailstack.calibration import _next_guess


def test_one_measurement_scales_the_share_in_proportion() -> None:
    assert _next_guess([(0.07, 49.0)], target=71.0) == pytest.approx(0.07 * 71 / 49)


def test_two_measurements_either_side_of_the_target_cancel_the_idle_cpus_bias() -> None:
    # A leg that sustains 1250/s per CPU above an idle 0.032 CPU reaches 71/s at 0.0888 CPU.
    # Alone, the measurement below overshoots by 16% and the one above undershoots by 7%.
    steps = [(0.0714, 1250 * (0.0714 - 0.032)), (0.1034, 1250 * (0.1034 - 0.032))]
    assert _next_guess(steps, target=71.0) == pytest.approx(0.032 + 71 / 1250, rel=0.05)


def test_two_close_noisy_measurements_do_not_throw_the_share_far() -> None:
    # Measured in a run: a line through them put the leg at 0.166 CPU, past any measured share.
    guess = _next_guess([(0.0651, 55.0), (0.0841, 58.0)], target=71.0)
    assert 0.0841 < guess < 0.0841 * 71 / 58
