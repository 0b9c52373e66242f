from harness.history import History
from harness.invariants import JudgeContext, Verdict, check_invariant
from harness.scenario.invariants import ActionSucceeds, CustomInvariant, NoMailLost

NO_MAIL_LOST = NoMailLost(id="mail", kind="no_mail_lost")
MOVE_SUCCEEDS = ActionSucceeds(id="moved", kind="action_succeeds", action="move")


def mail(history, sends: int, copies_of: dict[int, int], checked_at: float = 100.0) -> None:
    for n in range(sends):
        history.add(n, "smtp.send", "smtp-1", ok=True, latency_ms=5.0, message_id=f"m{n}", code=250, accepted=True)
        history.add(checked_at, "mail.stored", "db", message_id=f"m{n}", copies=copies_of.get(n, 1))


def test_lost_and_duplicated_mail_break_it_with_counts_and_windows(history, judge_with) -> None:
    mail(history, 30, {10: 0, 11: 0, 20: 2})
    verdict = check_invariant(NO_MAIL_LOST, judge_with(history))
    assert verdict.broken
    assert (verdict.measured["lost"], verdict.measured["duplicated"]) == (2, 1)
    assert verdict.measured["lost_ids"] == ["m10", "m11"]
    assert verdict.broken_windows == [(10.0, 12.0), (20.0, 21.0)]
    assert verdict.summary.startswith("of 30 accepted messages, 2 lost and 1 stored more than once")


def test_mail_never_checked_counts_as_lost(history, judge_with) -> None:
    mail(history, 5, {})
    history.add(4.5, "smtp.send", "smtp-2", ok=True, message_id="orphan", code=250, accepted=True)
    assert check_invariant(NO_MAIL_LOST, judge_with(history)).measured["lost_ids"] == ["orphan"]


def test_the_last_observation_decides_so_spooled_mail_that_lands_later_is_kept(history, judge_with) -> None:
    mail(history, 5, {})
    history.add(2.5, "mail.stored", "db", message_id="m1", copies=0)  # spooled during the cut
    assert check_invariant(NO_MAIL_LOST, judge_with(history)).held


def test_refused_sends_are_not_lost_mail(history, judge_with) -> None:
    mail(history, 5, {})
    history.add(3.5, "smtp.send", "smtp-1", ok=False, message_id="refused", code=451, accepted=False)
    verdict = check_invariant(NO_MAIL_LOST, judge_with(history))
    assert verdict.held
    assert verdict.measured["accepted"] == 5


def test_mail_sent_within_grace_of_the_last_check_is_not_judged(history, judge_with) -> None:
    mail(history, 5, {4: 0}, checked_at=10.0)  # grace is 10s: m1..m4 were checked too soon
    verdict = check_invariant(NO_MAIL_LOST, judge_with(history))
    assert verdict.held
    assert verdict.measured["too_recent"] == 4


def test_a_failed_action_breaks_action_succeeds_with_its_error(history, judge_with) -> None:
    history.action("move", 5, 6.5, error="maintenance block: IP allocations are frozen")
    verdict = check_invariant(MOVE_SUCCEEDS, judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(5.0, 6.5)]
    assert "maintenance block" in verdict.summary


def test_an_action_that_never_finishes_breaks_action_succeeds(history, judge_with) -> None:
    history.action("move", 5, None).add(50, "api.request", "front", status=200)
    verdict = check_invariant(MOVE_SUCCEEDS, judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(5.0, 50.0)]


def test_a_successful_action_holds(history, judge_with) -> None:
    history.action("move", 5, 6)
    assert check_invariant(MOVE_SUCCEEDS, judge_with(history)).held


def few_events(history: History, context: JudgeContext, limit: int) -> Verdict:
    count = len(history)
    return Verdict("ignored", "ignored", count <= limit, f"{count} events (limit {limit}).")


def crash(history: History, context: JudgeContext) -> Verdict:
    raise RuntimeError("boom")


def custom(use: str, **args: object) -> CustomInvariant:
    return CustomInvariant(id="mine", kind="custom", use=use, args=args)


def test_a_custom_invariant_is_called_with_history_context_and_args(history, judge_with) -> None:
    history.action("move", 5, 6)
    verdict = check_invariant(custom(f"{__name__}:few_events", limit=1), judge_with(history))
    assert (verdict.id, verdict.kind, verdict.held) == ("mine", "custom", False)
    assert verdict.summary == "2 events (limit 1)."


def test_a_custom_invariant_that_raises_is_inconclusive(history, judge_with) -> None:
    verdict = check_invariant(custom(f"{__name__}:crash"), judge_with(history))
    assert verdict.inconclusive
    assert "RuntimeError: boom" in verdict.summary
