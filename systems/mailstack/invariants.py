"""The mail stack's invariants: error pages link the status page; a block reaches every SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from harness.extensions import INVARIANTS
from harness.fields import Duration, Phase
from harness.history import Event
from harness.invariants import InvariantSpec
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.observed import TargetInvariant, names, phase_observations
from harness.invariants.verdict import Verdict, Window
from harness.invariants.windows import bad_runs, merge
from harness.load.ledger import BLOCKLIST_PROBE
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope
from systems.mailstack.block_ips import BlockIps
from systems.mailstack.roles import SMTP


@INVARIANTS.register
class ErrorPagesLinkStatus(TargetInvariant):
    """Every 5xx answer to ``target`` (a mail_api probe) in ``phase`` links to the status page."""

    kind: Literal["error_pages_link_status"]
    phase: Phase = "all"

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.probe(("target",), self.target.partition("/")[0], ("mail_api",))
        yield from self.phase_problems(scope, self.phase)

    def check(self, ctx: JudgeContext) -> Verdict:
        pages: dict[str, int] = {}
        unlinked: dict[str, int] = {}
        windows: list[Window] = []
        window, observed = phase_observations(ctx, self.target, self.phase)
        for name, events in observed.items():
            errors = [e for e in events if _is_error_page(e)]
            pages[name] = len(errors)
            unlinked[name] = sum(not e.data.get("status_link") for e in errors)
            windows += bad_runs(events, lambda e: _is_error_page(e) and not e.data.get("status_link"), window[1])
        measured = {"error_pages": pages, "without_status_link": unlinked}
        total, missing = sum(pages.values()), sum(unlinked.values())
        during = ctx.describe_phase(self.phase)
        if missing == 0:
            return Verdict(self.id, self.kind, True,
                           f"all {total} error pages from {names(pages)} {during} linked to the status page.",
                           measured=measured)
        return Verdict(self.id, self.kind, False,
                       f"{missing} of {total} error pages from {names(pages)} {during} did not link to the "
                       "status page.", merge(windows), measured)


def _is_error_page(event: Event) -> bool:
    return (event.data.get("status") or 0) >= 500


@INVARIANTS.register
class BlocklistPropagation(InvariantSpec):
    """Every SMTP server refuses the IPs of block-ips ``action`` within ``within`` of its start,
    for good, as the flood's workers find when they try each server from a blocked address."""

    kind: Literal["blocklist_propagation"]
    action: str
    within: Duration = Field(gt=0)

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.entry(("action",), self.action, "action", kind="block-ips")
        yield from scope.role(("kind",), SMTP)

    def check(self, ctx: JudgeContext) -> Verdict:
        # Measured from the moment the operator issued the block, as in the incident
        # ("blocked as soon as traffic logs showed them"): a block the API is slow to
        # take is part of the propagation, not an excuse for it.
        blocked_at = ctx.started(self.action)
        spec = ctx.run.scenario.entry(self.action).action
        listed = set(spec.ips) if isinstance(spec, BlockIps) and spec.ips else None
        propagation: dict[str, float | None] = {}
        windows: list[Window] = []
        for node in ctx.run.topology.by_role(SMTP):
            probes = [e for e in ctx.events(BLOCKLIST_PROBE, node.name)
                      if e.t >= blocked_at and (listed is None or e.data.get("ip") in listed)]
            if not probes:
                raise Unjudgeable(f"no blocklist probe of {node.name} after '{self.action}' started: "
                                  "did a flood try the blocked addresses?")
            refused_from = _refused_for_good(probes)
            propagation[node.name] = None if refused_from is None else max(0.0, refused_from - blocked_at)
            seconds = propagation[node.name]
            if seconds is None or seconds > self.within:
                windows.append((blocked_at, probes[-1].t if refused_from is None else refused_from))
        late = {n: s for n, s in propagation.items() if s is None or s > self.within}
        measured = {"propagation_s": propagation, "within_s": self.within, "blocked_at_s": blocked_at}
        count = len(propagation)
        if not late:
            slowest = max(propagation, key=lambda n: propagation[n] or 0.0)
            return Verdict(self.id, self.kind, True,
                           f"all {count} SMTP servers refused the blocked IPs within {ctx.lasting(self.within)} of "
                           f"'{self.action}' (slowest: {slowest} after {ctx.lasting(propagation[slowest] or 0.0)}).",
                           measured=measured)
        details = ", ".join(f"{n} {'never' if s is None else ctx.lasting(s)}" for n, s in late.items())
        return Verdict(self.id, self.kind, False,
                       f"{len(late)} of {count} SMTP servers took longer than {ctx.lasting(self.within)} to refuse "
                       f"the IPs blocked by '{self.action}' at {ctx.at(blocked_at)}: {details}.",
                       merge(windows), measured)


def _refused_for_good(probes: list[Event]) -> float | None:
    """When the probes start refusing and never accept again, or None if the last probe got through."""
    accepted = [i for i, e in enumerate(probes) if not e.data.get("refused")]
    if not accepted:
        return probes[0].t
    after = accepted[-1] + 1
    return probes[after].t if after < len(probes) else None
