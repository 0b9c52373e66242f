"""Every mistake is reported with the file, the line, the field path and a fix."""

import pytest

from harness.scenario import ScenarioError, parse_scenario

FILE = "tests/scenario/data/chicago_dc_outage.yaml"


def error_for(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, FILE)
    return caught.value


def line_containing(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_an_unknown_provider_names_file_line_field_and_the_closest_provider(chicago_text: str) -> None:
    text = chicago_text.replace("provider: chicago, mode", "provider: chicgo, mode")
    error = error_for(text)
    assert error.file == FILE
    assert error.line == line_containing(text, "provider: chicgo")
    assert error.field == "timeline[0].fault.provider"
    assert str(error).startswith(
        f"{FILE}:{error.line}: timeline[0].fault.provider: unknown provider 'chicgo' — did you mean 'chicago'?"
    )
    assert len(error.problems) == 1  # the same mistake in both architectures is reported once


def test_a_malformed_duration_says_which_forms_are_accepted(chicago_text: str) -> None:
    text = chicago_text.replace("for: 11m\n    fault: {kind: provider", "for: 11 minutes\n    fault: {kind: provider")
    error = error_for(text)
    assert error.field == "timeline[0].for"
    assert error.line == line_containing(text, "for: 11 minutes")
    assert "'11 minutes' is not a duration" in error.message
    assert "500ms, 30s, 11m, 1h or 1m30s" in error.hint


def test_a_bare_number_is_not_a_duration(chicago_text: str) -> None:
    error = error_for(chicago_text.replace("grace: 20s", "grace: 20"))
    assert error.field == "grace"
    assert "unit" in error.hint


def test_an_unknown_key_suggests_the_key_it_resembles(chicago_text: str) -> None:
    error = error_for(chicago_text.replace("mode: blackhole}", "mod: blackhole}"))
    assert error.field == "timeline[0].fault.mod"
    assert error.message == "unknown key 'mod'"
    assert error.hint == "did you mean 'mode'?"


def test_an_unknown_top_level_key_is_reported_on_its_line(chicago_text: str) -> None:
    text = chicago_text.replace("seed: 20180717", "seed: 20180717\nsede: 1")
    error = error_for(text)
    assert (error.field, error.line) == ("sede", line_containing(text, "sede"))


def test_an_unknown_fault_kind_suggests_the_known_kinds(chicago_text: str) -> None:
    error = error_for(chicago_text.replace("kind: provider-outage", "kind: provider-outtage"))
    assert error.field == "timeline[0].fault.kind"
    assert "did you mean 'provider-outage'" in error.hint


def test_a_missing_field_is_reported_on_the_mapping_that_lacks_it(chicago_text: str) -> None:
    text = chicago_text.replace("provider: chicago, mode: blackhole", "mode: blackhole")
    error = error_for(text)
    assert error.field == "timeline[0].fault"
    assert error.message == "missing required field 'provider'"
    assert error.line == line_containing(text, "fault: {kind: provider-outage, mode")


def test_two_nodes_may_listen_on_the_same_port(chicago_text: str) -> None:
    # Ports need not be unique across the stack: nodes sharing one get their own Toxiproxy shard.
    text = chicago_text.replace(
        "{name: api-2, role: api, provider: west}", "{name: api-2, role: api, provider: west, ports: [9100]}"
    ).replace("{name: api-3, role: api, provider: east}", "{name: api-3, role: api, provider: east, ports: [9100]}", 1)
    topology = parse_scenario(text, FILE).topology
    assert topology.node("api-2").ports == topology.node("api-3").ports == [9100]


def test_expect_broken_must_name_declared_invariants(chicago_text: str) -> None:
    text = chicago_text.replace("broken: [front-available-during-cut,", "broken: [front-available-during-cu,")
    error = error_for(text)
    assert error.field == "architectures.as-was.expect.broken[0]"
    assert error.hint.startswith("did you mean 'front-available-during-cut'")


def test_a_phase_must_name_a_fault_or_load(chicago_text: str) -> None:
    error = error_for(chicago_text.replace("phase: during:chicago-cut\n", "phase: during:chicago-cuts\n", 1))
    assert error.field == "invariants[1].phase"
    assert "did you mean 'chicago-cut'" in error.hint


def test_a_reference_to_a_node_only_in_one_architecture_names_that_architecture(chicago_text: str) -> None:
    text = chicago_text.replace("to: proxy-2}", "to: proxy-3}").replace(
        "- {name: proxy-2, role: proxy, provider: east, spare: true}\n    - {name: api-1",
        "- {name: proxy-3, role: proxy, provider: east, spare: true}\n    - {name: api-1",
    )
    error = error_for(text)
    assert error.field == "timeline[2].action.to"
    assert "in architecture 'as-fixed'" in error.message


def test_moving_the_floating_ip_to_a_node_that_is_not_public_is_refused(chicago_text: str) -> None:
    error = error_for(chicago_text.replace("to: proxy-2}", "to: mongo-1}"))
    assert error.field == "timeline[2].action.to"
    assert error.message == "node 'mongo-1' is not public, so it cannot take the floating IP"


def test_the_floating_ip_may_move_to_any_public_node(chicago_text: str) -> None:
    # Not only to a proxy, as before: an API leg is public too.
    parse_scenario(chicago_text.replace("to: proxy-2}", "to: api-1}"), FILE)


def test_an_entry_past_the_end_of_the_timeline_is_refused(chicago_text: str) -> None:
    error = error_for(chicago_text.replace("at: t+4m", "at: t+40m"))
    assert error.field == "timeline[2].at"
    assert "lengthen 'duration'" in error.hint


def test_an_invariant_needs_the_probe_that_feeds_it(chicago_text: str) -> None:
    text = chicago_text.replace("  - {id: mail, kind: mail_delivery, every: 1s}\n", "")
    error = error_for(text)
    assert [p.field for p in error.problems] == ["invariants[0].probe", "invariants[1].target"]
    assert error.message == "unknown probe 'mail'"
    assert error.line == line_containing(text, "probe: mail")
    assert error.hint == "known probes: front, legs, rs"


def test_an_unimportable_extension_fails_at_load_time(chicago_text: str) -> None:
    text = chicago_text.replace(
        "  - id: mail-kept\n", "  - id: mine\n    kind: custom\n    use: nosuch.module:check\n  - id: mail-kept\n"
    )
    error = error_for(text)
    assert error.field == "invariants[0].use"
    assert "nosuch.module" in error.message


def test_several_problems_are_reported_together(chicago_text: str) -> None:
    text = chicago_text.replace("mode: blackhole}", "mod: blackhole}").replace("grace: 20s", "grace: soon")
    assert {p.field for p in error_for(text).problems} == {"grace", "timeline[0].fault.mod"}


def test_invalid_yaml_is_reported_with_its_line(chicago_text: str) -> None:
    text = chicago_text.replace("seed: 20180717", "seed: [20180717")
    error = error_for(text)
    assert error.message.startswith("invalid YAML")
    assert error.line is not None


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    assert "must be a mapping" in error_for("- just\n- a list\n").message


def test_a_self_referencing_alias_is_refused_not_followed() -> None:
    assert "refers to itself" in error_for("&a {name: *a}\n").message


def _leaving_out(chicago_text: str, entries: str) -> str:
    return chicago_text.replace(
        "  as-fixed:\n",
        f"  as-was-unblocked:\n    settings: {{ARCH: as-was}}\n    without: [{entries}]\n"
        "    expect: {broken: []}\n  as-fixed:\n",
    )


def test_leaving_out_an_unknown_timeline_entry_suggests_the_known_ones(chicago_text: str) -> None:
    error = error_for(_leaving_out(chicago_text, "ip-maintenence"))
    assert error.field == "architectures.as-was-unblocked.without[0]"
    assert "did you mean 'ip-maintenance'" in error.hint


def test_an_entry_an_invariant_reads_cannot_be_left_out(chicago_text: str) -> None:
    error = error_for(_leaving_out(chicago_text, "chicago-cut"))
    assert error.field == "architectures.as-was-unblocked.without[0]"
    assert "invariant 'mail-accepted-during-cut' needs 'chicago-cut'" in error.message


def test_an_action_a_kept_maintenance_block_names_cannot_be_left_out(chicago_text: str) -> None:
    error = error_for(_leaving_out(chicago_text, "move-to-spare"))
    assert "timeline entry 'ip-maintenance' needs 'move-to-spare'" in str(error)
