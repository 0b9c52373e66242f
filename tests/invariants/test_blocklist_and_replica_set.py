import pytest

from harness.invariants import Unjudgeable
from harness.load.ledger import BLOCKLIST_PROBE
from systems.mailstack.invariants import BlocklistPropagation
from systems.mongodb.primary_outside import PrimaryOutside
from systems.mongodb.probe import RS_STATUS

PROPAGATION = BlocklistPropagation.model_validate(
    {"id": "blocked", "kind": "blocklist_propagation", "action": "block", "within": "10s"}
)
PRIMARY = PrimaryOutside.model_validate(
    {"id": "elected", "kind": "primary_outside", "probe": "rs", "fault": "cut", "provider": "dbhost", "within": "30s"}
)


def probe(history, node: str, start: int, end: int, refused_from: float | None) -> None:
    for t in range(start, end):
        refused = refused_from is not None and t >= refused_from
        history.add(t, BLOCKLIST_PROBE, node, ok=True, source="flood", ip="203.0.113.1", refused=refused)


def test_a_server_refusing_late_breaks_propagation_with_per_node_seconds(history, judge_with) -> None:
    history.action("block", 40, 41)
    probe(history, "smtp-1", 30, 90, refused_from=43)
    probe(history, "smtp-2", 30, 90, refused_from=70)
    verdict = PROPAGATION.check(judge_with(history))
    assert verdict.broken
    assert verdict.measured["propagation_s"] == {"smtp-1": 3.0, "smtp-2": 30.0}
    assert verdict.broken_windows == [(40.0, 70.0)]
    assert "smtp-2 30.0 s" in verdict.summary


def test_propagation_counts_from_the_operators_block_not_from_the_api_answering(history, judge_with) -> None:
    history.action("block", 40, 45)  # the API took 5 s to answer the block
    probe(history, "smtp-1", 30, 90, refused_from=43)
    probe(history, "smtp-2", 30, 90, refused_from=47)
    verdict = PROPAGATION.check(judge_with(history))
    assert verdict.measured["propagation_s"] == {"smtp-1": 3.0, "smtp-2": 7.0}


def test_a_server_that_never_refuses_is_reported_as_never(history, judge_with) -> None:
    history.action("block", 40, 41)
    probe(history, "smtp-1", 30, 90, refused_from=43)
    probe(history, "smtp-2", 30, 90, refused_from=None)
    verdict = PROPAGATION.check(judge_with(history))
    assert verdict.measured["propagation_s"]["smtp-2"] is None
    assert "smtp-2 never" in verdict.summary


def test_propagation_counts_from_when_refusals_stop_flapping(history, judge_with) -> None:
    history.action("block", 40, 41)
    probe(history, "smtp-1", 30, 90, refused_from=42)
    for t, refused in ((42.5, True), (43.5, False), (44.5, True)):
        history.add(t, BLOCKLIST_PROBE, "smtp-2", ok=True, source="flood", ip="203.0.113.1", refused=refused)
    probe(history, "smtp-2", 45, 90, refused_from=45)
    assert PROPAGATION.check(judge_with(history)).measured["propagation_s"]["smtp-2"] == 4.5


def test_fast_propagation_to_every_server_holds(history, judge_with) -> None:
    history.action("block", 40, 41)
    probe(history, "smtp-1", 30, 90, refused_from=42)
    probe(history, "smtp-2", 30, 90, refused_from=44)
    verdict = PROPAGATION.check(judge_with(history))
    assert verdict.held
    assert "slowest: smtp-2 after 4.0 s" in verdict.summary


def test_no_primary_outside_the_cut_provider_breaks_it_for_the_cut(history, judge_with) -> None:
    history.fault("cut", 10, 30)
    for t in range(0, 60):
        history.add(t, RS_STATUS, "db", source="rs", primary="mongo-1" if t < 12 or t >= 30 else None, term=1)
    verdict = PRIMARY.check(judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(10.0, 30.0)]
    assert verdict.measured["primaries_seen"] == ["mongo-1", "none"]


def test_a_primary_elected_outside_in_time_holds(history, judge_with) -> None:
    history.fault("cut", 10, 30)
    for t in range(0, 60):
        history.add(t, RS_STATUS, "db", source="rs", primary="mongo-1" if t < 22 else "mongo-2:27018", term=2)
    verdict = PRIMARY.check(judge_with(history))
    assert verdict.held
    assert verdict.measured["election_s"] == 12.0
    assert "mongo-2:27018 (east) became primary 12.0 s after" in verdict.summary


def test_a_primary_elected_outside_too_late_breaks_it_until_the_election(history, judge_with) -> None:
    history.fault("cut", 10, 60)
    for t in range(0, 80):
        history.add(t, RS_STATUS, "db", source="rs", primary="mongo-1" if t < 50 else "mongo-2", term=2)
    verdict = PRIMARY.check(judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(10.0, 50.0)]


def test_a_server_no_flood_tried_after_the_block_is_unjudgeable(history, judge_with) -> None:
    history.action("block", 40, 41)
    probe(history, "smtp-1", 30, 90, refused_from=43)
    probe(history, "smtp-2", 30, 40, refused_from=None)
    with pytest.raises(Unjudgeable, match="no blocklist probe of smtp-2"):
        PROPAGATION.check(judge_with(history))


def test_primary_outside_reads_only_its_own_mongo_probe(history, judge_with) -> None:
    history.fault("cut", 10, 30)
    for t in range(0, 60):
        history.add(t, RS_STATUS, "db", source="rs", primary="mongo-1", term=1)
        history.add(t + 0.5, RS_STATUS, "db", source="other", primary="mongo-2", term=2)
    verdict = PRIMARY.check(judge_with(history))
    assert verdict.broken
    assert verdict.measured["primaries_seen"] == ["mongo-1"]


def test_primary_outside_without_statuses_after_the_fault_is_unjudgeable(history, judge_with) -> None:
    history.fault("cut", 10, 30)
    for t in range(0, 10):
        history.add(t, RS_STATUS, "db", source="rs", primary="mongo-1", term=1)
    with pytest.raises(Unjudgeable, match="did the probe run"):
        PRIMARY.check(judge_with(history))
