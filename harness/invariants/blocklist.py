"""Blocklist propagation: how long after the operator blocks the IPs each SMTP server starts
refusing them, for good."""

from __future__ import annotations

from harness.history import Event
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.verdict import Verdict, Window
from harness.invariants.windows import merge
from harness.scenario.invariants import BlocklistPropagation
from harness.scenario.timeline import BlockIps
from harness.topology import Role


def check_blocklist_propagation(inv: BlocklistPropagation, ctx: JudgeContext) -> Verdict:
    # Measured from the moment the operator issued the block, as in the incident
    # ("blocked as soon as traffic logs showed them"): a block the API is slow to
    # take is part of the propagation, not an excuse for it.
    blocked_at = ctx.started(inv.action)
    spec = ctx.run.scenario.entry(inv.action).action
    listed = set(spec.ips) if isinstance(spec, BlockIps) and spec.ips else None
    propagation: dict[str, float | None] = {}
    windows: list[Window] = []
    for node in ctx.run.topology.by_role(Role.SMTP):
        probes = [
            e for e in ctx.events("blocklist.probe", node.name)
            if e.t >= blocked_at and (listed is None or e.data.get("ip") in listed)
        ]
        if not probes:
            raise Unjudgeable(f"no blocklist probe of {node.name} after '{inv.action}' started: did the probe run?")
        refused_from = _refused_for_good(probes)
        propagation[node.name] = None if refused_from is None else max(0.0, refused_from - blocked_at)
        seconds = propagation[node.name]
        if seconds is None or seconds > inv.within:
            windows.append((blocked_at, probes[-1].t if refused_from is None else refused_from))
    late = {n: s for n, s in propagation.items() if s is None or s > inv.within}
    measured = {"propagation_s": propagation, "within_s": inv.within, "blocked_at_s": blocked_at}
    count = len(propagation)
    if not late:
        slowest = max(propagation, key=lambda n: propagation[n] or 0.0)
        return Verdict(inv.id, inv.kind, True,
                       f"all {count} SMTP servers refused the blocked IPs within {ctx.lasting(inv.within)} of "
                       f"'{inv.action}' (slowest: {slowest} after {ctx.lasting(propagation[slowest] or 0.0)}).",
                       measured=measured)
    details = ", ".join(f"{n} {'never' if s is None else ctx.lasting(s)}" for n, s in late.items())
    return Verdict(inv.id, inv.kind, False,
                   f"{len(late)} of {count} SMTP servers took longer than {ctx.lasting(inv.within)} to refuse "
                   f"the IPs blocked by '{inv.action}' at {ctx.at(blocked_at)}: {details}.",
                   merge(windows), measured)


def _refused_for_good(probes: list[Event]) -> float | None:
    """When the probes start refusing and never accept again, or None if the last probe got through."""
    accepted = [i for i, e in enumerate(probes) if not e.data.get("refused")]
    if not accepted:
        return probes[0].t
    after = accepted[-1] + 1
    return probes[after].t if after < len(probes) else None
