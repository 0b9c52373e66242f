from harness.invariants import Verdict, check_invariants
from harness.invariants.expectation import judge
from harness.scenario import resolve


def verdict(name: str, held: bool, inconclusive: bool = False) -> Verdict:
    return Verdict(name, "availability", held, f"{name} summary.", inconclusive=inconclusive)


def test_it_passes_when_exactly_the_expected_invariants_broke() -> None:
    outcome = judge([verdict("a", False), verdict("b", False), verdict("c", True)], ["a", "b"])
    assert outcome.passed
    assert outcome.observed_broken == ["a", "b"]
    assert outcome.summary == "broke exactly as expected: a, b."


def test_a_fixed_architecture_passes_when_everything_held() -> None:
    outcome = judge([verdict("a", True), verdict("b", True)], [])
    assert outcome.passed
    assert outcome.summary == "every invariant held (2 of 2)."


def test_an_as_was_run_that_breaks_nothing_fails_loudly() -> None:
    outcome = judge([verdict("a", True), verdict("b", True)], ["a"])
    assert not outcome.passed
    assert outcome.summary.startswith("the harness saw no outage")
    assert outcome.mismatches == ["a held but was expected to break: a summary."]


def test_every_mismatch_is_explained() -> None:
    outcome = judge([verdict("a", True), verdict("b", False)], ["a", "ghost"])
    assert not outcome.passed
    assert outcome.mismatches == [
        "a held but was expected to break: a summary.",
        "b broke but was expected to hold: b summary.",
        "ghost was expected to break but has no verdict",
    ]


def test_an_inconclusive_verdict_fails_the_run_even_when_expected_to_break() -> None:
    outcome = judge([Verdict.unjudged("a", "availability", "the fault never started")], ["a"])
    assert not outcome.passed
    assert outcome.observed_broken == []
    assert "not judged: the fault never started" in outcome.mismatches[0]


def test_judging_a_whole_run_gives_one_verdict_per_declared_invariant(scenario, history) -> None:
    history.fault("cut", 10, 30).requests("front", 0, 60, ok=lambda t: not 10 <= t < 30)
    run = resolve(scenario, "as-was")
    verdicts = check_invariants(run, history.build())
    assert [v.id for v in verdicts] == ["front-up"]
    assert judge(verdicts, run.expect).passed


def test_judging_a_whole_run_turns_an_unjudgeable_check_into_a_verdict_not_judged(scenario, history) -> None:
    history.requests("front", 0, 60)  # the cut never started
    (verdict,) = check_invariants(resolve(scenario, "as-was"), history.build())
    assert verdict.inconclusive and not verdict.held
    assert verdict.summary.startswith("not judged: fault 'cut' never started")


def test_verdicts_and_outcomes_survive_a_json_round_trip() -> None:
    original = Verdict("a", "latency", False, "slow.", [(1.0, 2.5)], {"p99": {"front": 900.0}})
    assert Verdict.from_json(original.to_json()) == original
    outcome = judge([original], ["a"])
    assert type(outcome).from_json(outcome.to_json()) == outcome
