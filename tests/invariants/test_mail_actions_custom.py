import pytest

from harness.history import History
from harness.invariants import JudgeContext, Unjudgeable, Verdict
from harness.invariants.action_succeeds import ActionSucceeds
from harness.invariants.custom import CustomInvariant
from harness.invariants.no_mail_lost import NoMailLost
from harness.probes.smtp import MAIL_STORED, SMTP_SEND

NO_MAIL_LOST = NoMailLost(id="mail", kind="no_mail_lost", probe="mail")
MOVE_SUCCEEDS = ActionSucceeds(id="moved", kind="action_succeeds", action="move")


def mail(history, sends: int, copies_of: dict[int, int], checked_at: float = 100.0) -> None:
    for n in range(sends):
        history.add(n, SMTP_SEND, "smtp-1", ok=True, source="mail", latency_ms=5.0, message_id=f"m{n}", code=250, accepted=True)
        history.add(checked_at, MAIL_STORED, "db", source="mail", message_id=f"m{n}", copies=copies_of.get(n, 1))


def test_lost_and_duplicated_mail_break_it_with_counts_and_windows(history, judge_with) -> None:
    mail(history, 30, {10: 0, 11: 0, 20: 2})
    verdict = NO_MAIL_LOST.check(judge_with(history))
    assert verdict.broken
    assert (verdict.measured["lost"], verdict.measured["duplicated"]) == (2, 1)
    assert verdict.measured["lost_ids"] == ["m10", "m11"]
    assert verdict.broken_windows == [(10.0, 12.0), (20.0, 21.0)]
    assert verdict.summary.startswith("of 30 accepted messages, 2 lost and 1 stored more than once")


def test_mail_never_checked_counts_as_lost(history, judge_with) -> None:
    mail(history, 5, {})
    history.add(4.5, SMTP_SEND, "smtp-2", ok=True, source="mail", message_id="orphan", code=250, accepted=True)
    assert NO_MAIL_LOST.check(judge_with(history)).measured["lost_ids"] == ["orphan"]


def test_the_last_observation_decides_so_spooled_mail_that_lands_later_is_kept(history, judge_with) -> None:
    mail(history, 5, {})
    history.add(2.5, MAIL_STORED, "db", source="mail", message_id="m1", copies=0)  # spooled during the cut
    assert NO_MAIL_LOST.check(judge_with(history)).held


def test_refused_sends_are_not_lost_mail(history, judge_with) -> None:
    mail(history, 5, {})
    history.add(3.5, SMTP_SEND, "smtp-1", ok=False, source="mail", message_id="refused", code=451, accepted=False)
    verdict = NO_MAIL_LOST.check(judge_with(history))
    assert verdict.held
    assert verdict.measured["accepted"] == 5


def test_mail_sent_within_grace_of_the_last_check_is_not_judged(history, judge_with) -> None:
    mail(history, 5, {4: 0}, checked_at=10.0)  # grace is 10s: m1..m4 were checked too soon
    verdict = NO_MAIL_LOST.check(judge_with(history))
    assert verdict.held
    assert verdict.measured["too_recent"] == 4


def test_only_the_named_probes_sends_and_ledger_count(history, judge_with) -> None:
    mail(history, 5, {})
    history.add(2.0, SMTP_SEND, "smtp-1", ok=True, source="flood", message_id="legit-1", code=250, accepted=True)
    history.add(100.0, MAIL_STORED, "db", source="other", message_id="m2", copies=0)
    verdict = NO_MAIL_LOST.check(judge_with(history))
    assert verdict.held
    assert verdict.measured["accepted"] == 5


def test_no_mail_lost_without_a_ledger_count_is_unjudgeable(history, judge_with) -> None:
    history.add(1.0, SMTP_SEND, "smtp-1", ok=True, source="mail", message_id="m1", code=250, accepted=True)
    with pytest.raises(Unjudgeable, match="its ledger did not count"):
        NO_MAIL_LOST.check(judge_with(history))


def test_no_mail_lost_without_accepted_mail_is_unjudgeable(history, judge_with) -> None:
    with pytest.raises(Unjudgeable, match="got no message accepted"):
        NO_MAIL_LOST.check(judge_with(history))


def test_a_failed_action_breaks_action_succeeds_with_its_error(history, judge_with) -> None:
    history.action("move", 5, 6.5, error="maintenance block: IP allocations are frozen")
    verdict = MOVE_SUCCEEDS.check(judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(5.0, 6.5)]
    assert "maintenance block" in verdict.summary


def test_an_action_that_never_finishes_breaks_action_succeeds(history, judge_with) -> None:
    history.action("move", 5, None).request(50, "front")
    verdict = MOVE_SUCCEEDS.check(judge_with(history))
    assert verdict.broken
    assert verdict.broken_windows == [(5.0, 50.0)]


def test_a_successful_action_holds(history, judge_with) -> None:
    history.action("move", 5, 6)
    assert MOVE_SUCCEEDS.check(judge_with(history)).held


def few_events(history: History, context: JudgeContext, limit: int) -> Verdict:
    count = len(history)
    return Verdict("ignored", "ignored", count <= limit, f"{count} events (limit {limit}).")


def crash(history: History, context: JudgeContext) -> Verdict:
    raise RuntimeError("boom")


def custom(use: str, **args: object) -> CustomInvariant:
    return CustomInvariant(id="mine", kind="custom", use=use, args=args)


def test_a_custom_invariant_is_called_with_history_context_and_args(history, judge_with) -> None:
    history.action("move", 5, 6)
    verdict = custom(f"{__name__}:few_events", limit=1).check(judge_with(history))
    assert (verdict.id, verdict.kind, verdict.held) == ("mine", "custom", False)
    assert verdict.summary == "2 events (limit 1)."


def test_a_custom_invariant_that_raises_is_inconclusive(history, judge_with) -> None:
    verdict = custom(f"{__name__}:crash").check(judge_with(history))
    assert verdict.inconclusive
    assert "RuntimeError: boom" in verdict.summary
