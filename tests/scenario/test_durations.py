import pytest

from harness.durations import format_duration, parse_duration, parse_offset


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("30s", 30), ("11m", 660), ("1h", 3600), ("1m30s", 90), ("1h2m3s", 3723), ("1.5s", 1.5)],
)
def test_durations_are_read_as_written_in_incidents(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["11 minutes", "11", "", "m", "30s1m", "1m1m", "-5s", "1e3s"])
def test_malformed_durations_name_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="500ms, 30s, 11m"):
        parse_duration(text)


def test_offsets_are_durations_after_t_plus() -> None:
    assert parse_offset("t+6m") == 360
    assert parse_offset("t+0s") == 0
    with pytest.raises(ValueError, match="t\\+6m"):
        parse_offset("6m")


@pytest.mark.parametrize("seconds", [0, 0.5, 1, 30, 90, 660, 3723, 90.25, 0.001])
def test_formatting_a_duration_reads_back_to_the_same_seconds(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds)


def test_formatting_prefers_the_incident_spelling() -> None:
    assert format_duration(660) == "11m"
    assert format_duration(90) == "1m30s"
    assert format_duration(0.5) == "500ms"
