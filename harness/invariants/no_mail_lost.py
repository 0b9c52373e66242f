"""No mail lost: every message an SMTP probe got accepted is stored exactly once.

Each accepted message is judged on the last ``mail.stored`` observation of it
(the probe's ledger's final count). A message whose last observation came less
than ``grace`` after it was sent had no fair chance to land and is not judged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Literal

from harness.extensions import INVARIANTS
from harness.fields import Duration
from harness.history import Event
from harness.invariants import InvariantSpec
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.verdict import Verdict
from harness.invariants.windows import bad_runs
from harness.probes.smtp import MAIL_STORED, SMTP_SEND
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope

SAMPLE = 20  # message ids listed in the verdict


@INVARIANTS.register
class NoMailLost(InvariantSpec):
    """Every message ``probe`` got accepted is stored exactly once by the end of the timeline +
    ``grace`` (default: the scenario's grace). The probe needs a ledger (an smtp probe with
    ``via:``, or a system's own mail probe)."""

    kind: Literal["no_mail_lost"]
    probe: str
    grace: Duration | None = None

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.probe(("probe",), self.probe)
        if self.grace is not None and self.grace > scope.scenario.grace:
            yield Problem(("grace",), f"grace {self.grace:g} s is longer than the run's grace "
                          f"{scope.scenario.grace:g} s: the run would end before the check",
                          f"raise the scenario's grace to {self.grace:g}s or lower this one")

    def check(self, ctx: JudgeContext) -> Verdict:
        grace = ctx.run.grace_s if self.grace is None else self.grace
        accepted = [e for e in ctx.events(SMTP_SEND) if e.source == self.probe and e.data.get("accepted")]
        if not accepted:
            raise Unjudgeable(f"probe '{self.probe}' got no message accepted: did it run?")
        observations: dict[str, list[Event]] = defaultdict(list)
        for event in ctx.events(MAIL_STORED):
            if event.source == self.probe:
                observations[str(event.data.get("message_id"))].append(event)
        if not observations:
            raise Unjudgeable(f"no mail.stored event from probe '{self.probe}': its ledger did not count")
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
            return Verdict(self.id, self.kind, True,
                           f"all {judged} accepted messages were stored exactly once "
                           f"({too_recent} sent too late to judge).",
                           measured=measured)
        affected = {id(e) for e in lost + duplicated}
        first, final = min(e.t for e in lost + duplicated), max(e.t for e in lost + duplicated)
        windows = bad_runs(accepted, lambda e: id(e) in affected, final)
        harm = [text for count, text in ((len(lost), f"{len(lost)} lost"),
                                         (len(duplicated), f"{len(duplicated)} stored more than once")) if count]
        return Verdict(self.id, self.kind, False,
                       f"of {judged} accepted messages, {' and '.join(harm)}; the first was sent at {ctx.at(first)}.",
                       windows, measured)
