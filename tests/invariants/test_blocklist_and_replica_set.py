from harness.invariants import check_invariant
from harness.scenario.invariants import BlocklistPropagation, PrimaryOutside

PROPAGATION = BlocklistPropagation.model_validate(
    {"id": "blocked", "kind": "blocklist_propagation", "action": "block", "within": "10s"}
)
PRIMARY = PrimaryOutside.model_validate(
    {"id": "elected", "kind": "primary_outside", "fault": "cut", "provider": "dbhost", "within": "30s"}
)


def probe(history, node: str, start: int, end: int, refused_from: float | None) -> None:
    for t in range(start, end):
        refused = refused_from is not None and t >= refused_from
        history.add(t, "blocklist.probe", node, ok=True, ip="203.0.113.1", refused=refused)


def test_a_server_refusing_late_breaks_propagation_with_per_node_seconds(history, judge_with) -> None:
    history.action("block", 40, 41)
    probe(history, "smtp-1", 30, 90, refused_from=43)
    probe(history, "smtp-2", 30, 90, refused_from=70)
    verdict = check_invariant(PROPAGATION, judge_with(history))
    assert verdict.broken
    assert verdict.measured["propagation_s"] == {"smtp-1": 3.0, "smtp-2": 30.0}
    assert verdict.broken_windows == [(40.0, 70.0)]
    assert "smtp-2 30.0 s" in verdict.summary


def test_propagation_counts_from_the_operators_block_not_from_the_api_answering(history, judge_with) -> None:
    history.action("block", 40, 45)  # the API took 5 s to answer the block
    probe(history, "smtp-1", 30, 90, refused_from=43)
    probe(history, "smtp-2", 30, 90, refused_from=47)
    verdict = check_invariant(PROPAGATION, judge_with(history))
    assert verdict.measured["propagation_s"] == {"smtp-1": 3.0, "smtp-2": 7.0}


def test_a_server_that_never_refuses_is_reported_as_never(history, judge_with) -> None:
    history.action("block", 40, 41)
    probe(history, "smtp-1", 30, 90, refused_from=43)
    probe(history, "smtp-2", 30, 90, refused_from=None)
    verdict = check_invariant(PROPAGATION, judge_with(history))
    assert verdict.measured["propagation_s"]["smtp-2"] is None
    assert "smtp-2 never" in verdict.summary


def test_propagation_counts_from_when_refusals_stop_flapping(history, judge_with) -> None:
    history.action("block", 40, 41)
    probe(history, "smtp-1", 30, 90, refused_from=42)
    for t, refused in ((42.5, True), (43.5, False), (44.5, True)):
        history.add(t, "blocklist.probe", "smtp-2", ok=True, ip="203.0.113.1", refused=refused)
    probe(history, "smtp-2", 45, 90, refused_from=45)
    assert check_invariant(PROPAGATION, judge_with(history)).measured["propagation_s"]["smtp-2"] == 4.5


def test_fast_propagation_to_every_server_holds(history, judge_with) -> None:
    history.action("block", 40, 41)
    probe(history, "smtp-1", 30, 90, refused_from=42)
    probe(history, "smtp-2", 30, 90, refused_from=44)
    verdict = check_invariant(PROPAGATION, judge_with(history))
    assert verdict.held
    assert "slowest: smtp-2 after 4.0 s" in verdict.summary


def test_no_primary_outside_the_cut_provider_breaks_it_for_the_cut(history, judge_with) -> None:
    history.fault("cut", 10, 30)
    for t in range(0, 60):
        history.add(t, "rs.status", "db", primary="mongo-1" if t < 12 or t >= 30 else None, term=1)
    verdict = check_invariant(PRIMARY, judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(10.0, 30.0)]
    assert verdict.measured["primaries_seen"] == ["mongo-1", "none"]


def test_a_primary_elected_outside_in_time_holds(history, judge_with) -> None:
    history.fault("cut", 10, 30)
    for t in range(0, 60):
        history.add(t, "rs.status", "db", primary="mongo-1" if t < 22 else "mongo-2:27018", term=2)
    verdict = check_invariant(PRIMARY, judge_with(history))
    assert verdict.held
    assert verdict.measured["election_s"] == 12.0
    assert "mongo-2:27018 (east) became primary 12.0 s after" in verdict.summary


def test_a_primary_elected_outside_too_late_breaks_it_until_the_election(history, judge_with) -> None:
    history.fault("cut", 10, 60)
    for t in range(0, 80):
        history.add(t, "rs.status", "db", primary="mongo-1" if t < 50 else "mongo-2", term=2)
    verdict = check_invariant(PRIMARY, judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(10.0, 50.0)]
