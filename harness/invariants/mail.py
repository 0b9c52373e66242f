"""No mail lost: every accepted message is stored exactly once.

Each accepted message is judged on the last ``mail.stored`` observation of it
(the delivery probe's final check). A message whose last observation came less
than ``grace`` after it was sent had no fair chance to land and is not judged.
"""

from __future__ import annotations

from collections import defaultdict

from harness.history import Event
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.verdict import Verdict
from harness.invariants.windows import bad_runs
from harness.scenario.invariants import NoMailLost

SAMPLE = 20  # message ids listed in the verdict


def check_no_mail_lost(inv: NoMailLost, ctx: JudgeContext) -> Verdict:
    grace = ctx.run.grace_s if inv.grace is None else inv.grace
    accepted = [e for e in ctx.events("smtp.send") if e.data.get("accepted")]
    if not accepted:
        raise Unjudgeable("no message was accepted: did the SMTP delivery probe run?")
    observations: dict[str, list[Event]] = defaultdict(list)
    for event in ctx.events("mail.stored"):
        observations[str(event.data.get("message_id"))].append(event)
    if not observations:
        raise Unjudgeable("no mail.stored event: the final delivery check did not run")
    lost: list[Event] = []
    duplicated: list[Event] = []
    too_recent = 0
    for send in accepted:
        seen = [o for o in observations.get(str(send.data.get("message_id")), []) if o.t >= send.t]
        last = seen[-1] if seen else None
        if last is not None and last.t - send.t < grace:
            too_recent += 1
        elif last is None or last.data.get("copies", 0) < 1:
            lost.append(send)
        elif last.data["copies"] > 1:
            duplicated.append(send)
    judged = len(accepted) - too_recent
    measured = {
        "accepted": len(accepted),
        "judged": judged,
        "stored_once": judged - len(lost) - len(duplicated),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "too_recent": too_recent,
        "lost_ids": [e.data.get("message_id") for e in lost[:SAMPLE]],
        "duplicated_ids": [e.data.get("message_id") for e in duplicated[:SAMPLE]],
        "grace_s": grace,
    }
    if not lost and not duplicated:
        return Verdict(inv.id, inv.kind, True,
                       f"all {judged} accepted messages were stored exactly once "
                       f"({too_recent} sent too late to judge).",
                       measured=measured)
    affected = {id(e) for e in lost + duplicated}
    first, final = min(e.t for e in lost + duplicated), max(e.t for e in lost + duplicated)
    windows = bad_runs(accepted, lambda e: id(e) in affected, final)
    harm = [text for count, text in ((len(lost), f"{len(lost)} lost"),
                                     (len(duplicated), f"{len(duplicated)} stored more than once")) if count]
    return Verdict(inv.id, inv.kind, False,
                   f"of {judged} accepted messages, {' and '.join(harm)}; the first was sent at {ctx.at(first)}.",
                   windows, measured)

