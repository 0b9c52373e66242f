"""Primary outside: the replica set elects a primary outside the cut provider in time."""

from __future__ import annotations

from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.verdict import Verdict
from harness.scenario.invariants import PrimaryOutside


def check_primary_outside(inv: PrimaryOutside, ctx: JudgeContext) -> Verdict:
    cut_at = ctx.started(inv.fault)
    statuses = [e for e in ctx.events("rs.status") if e.t >= cut_at]
    if not statuses:
        raise Unjudgeable(f"no replica-set status was recorded after '{inv.fault}' started: did the probe run?")
    provider_of = {n.name: n.provider for n in ctx.run.topology.nodes}

    def outside(primary: object) -> bool:
        # Members may be reported as "name:port".
        name = str(primary).partition(":")[0]
        return primary is not None and name in provider_of and provider_of[name] != inv.provider

    elected = next((e for e in statuses if outside(e.data.get("primary"))), None)
    deadline = cut_at + inv.within
    primaries = sorted({str(e.data.get("primary") or "none") for e in statuses if e.t <= deadline})
    measured = {
        "fault_started_s": cut_at,
        "elected_at_s": None if elected is None else elected.t,
        "election_s": None if elected is None else elected.t - cut_at,
        "primary": None if elected is None else elected.data.get("primary"),
        "primaries_seen": primaries,
        "within_s": inv.within,
    }
    since = f"'{inv.fault}' started at {ctx.at(cut_at)}"
    if elected is not None and elected.t <= deadline:
        return Verdict(inv.id, inv.kind, True,
                       f"{elected.data['primary']} ({provider_of[str(elected.data['primary']).partition(':')[0]]}) "
                       f"became primary {ctx.lasting(elected.t - cut_at)} after {since} "
                       f"(bound {ctx.lasting(inv.within)}).",
                       measured=measured)
    fault_end = ctx.ended(inv.fault)
    until = elected.t if elected is not None else (fault_end if fault_end is not None else ctx.end_s)
    later = ""
    if elected is not None:
        later = f"; {elected.data['primary']} took over only after {ctx.lasting(elected.t - cut_at)}"
    return Verdict(inv.id, inv.kind, False,
                   f"no primary outside {inv.provider} within {ctx.lasting(inv.within)} after {since} "
                   f"(primaries seen: {', '.join(primaries)}){later}.",
                   [(cut_at, max(until, cut_at))], measured)
