"""The scenario file format's `version:`: format 2 loads (written or not), others are refused with
what changed and how to convert."""

from __future__ import annotations

import pytest

from harness.scenario import ScenarioError, parse_scenario

from .conftest import TWO_ECHOES

CURRENT = TWO_ECHOES
# The probes of scenarios/smtp_flood_4_ips.yaml before format 2 (git show 6d41920^).
FORMAT_1_PROBES = """\
probes:
  smtp_delivery: {every: 1s}
  api: {every: 500ms, timeout: 3s, targets: [front, legs]}
  replica_set: {every: 2s}
  blocklist: {every: 1s}
"""


def _refusal(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source="s.yaml")
    return caught.value


def test_a_file_that_says_version_2_loads() -> None:
    assert parse_scenario("version: 2\n" + CURRENT).version == 2


def test_a_file_without_version_whose_probes_are_a_list_loads_as_format_2() -> None:
    assert parse_scenario(CURRENT).version == 2


def test_a_format_1_file_is_refused_with_what_changed_and_its_probes_converted() -> None:
    old = CURRENT.split("probes:")[0] + FORMAT_1_PROBES + "invariants:" + CURRENT.split("invariants:")[1]
    error = _refusal(old)
    assert (error.line, error.field) == (14, "probes")
    assert "this is scenario format 1, and this harness reads format 2: probes is now a list" in error.message
    assert "invariants name the probe they judge" in error.message
    # What format 2 made of these probes in the shipped scenario, line for line.
    assert error.hint.splitlines()[1:] == [
        "probes:",
        "  - {id: mail, kind: mail_delivery, every: 1s}",
        "  - {id: front, kind: mail_api, targets: [floating], every: 500ms, timeout: 3s}",
        '  - {id: legs, kind: mail_api, targets: ["role:api"], every: 500ms, timeout: 3s}',
        "  - {id: rs, kind: mongo, every: 2s}",
        "(the blocklist probe is gone: a flood load records what the blocklist refuses)",
    ]


def test_version_1_written_out_is_refused_at_its_line() -> None:
    error = _refusal("version: 1\n" + CURRENT)
    assert (error.line, error.field) == (1, "version")
    assert "scenario format 1" in error.message and error.hint.startswith("write version: 2")


def test_a_newer_format_asks_for_a_newer_harness() -> None:
    error = _refusal("version: 3\n" + CURRENT)
    assert "written for scenario format 3, and this harness reads format 2" in error.message
    assert "install a newer outage-harness" in error.hint


@pytest.mark.parametrize("written", ["two", "true", "0", "2.5"])
def test_a_version_that_is_not_a_format_number_is_refused(written: str) -> None:
    error = _refusal(f"version: {written}\n" + CURRENT)
    assert "is not a scenario format number" in error.message and error.hint == "write version: 2"
