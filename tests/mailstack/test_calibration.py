"""The small leg's CPU share is corrected from what it sustained under the share before."""

import pytest

from systems.mailstack.calibration import _next_guess


def test_one_measurement_scales_the_share_in_proportion() -> None:
    assert _next_guess([(0.07, 49.0)], target=71.0) == pytest.approx(0.07 * 71 / 49)


def test_two_measurements_aim_on_the_line_through_them() -> None:
    # A leg that sustains 1250/s per CPU above an idle 0.032 CPU: the line hits 71/s at 0.0888.
    steps = [(0.0714, 1250 * (0.0714 - 0.032)), (0.1034, 1250 * (0.1034 - 0.032))]
    assert _next_guess(steps, target=71.0) == pytest.approx(0.032 + 71 / 1250)


def test_a_rate_that_fell_with_more_cpu_is_no_line_and_scales_in_proportion() -> None:
    assert _next_guess([(0.07, 49.0), (0.10, 45.0)], target=71.0) == pytest.approx(0.10 * 71 / 45)
