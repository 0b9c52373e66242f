"""Availability, latency and error-page checks over API requests (or SMTP sends, for "mail")."""

from __future__ import annotations

from collections.abc import Mapping

from harness.history import Event
from harness.invariants.context import JudgeContext, Unjudgeable
from harness.invariants.verdict import Verdict, Window
from harness.invariants.windows import bad_runs, longest, merge, percentile, within
from harness.scenario.invariants import Availability, ErrorPagesLinkStatus, LatencyBound


def _phase_requests(ctx: JudgeContext, target: str, phase: str, settle_s: float = 0.0) -> tuple[Window, list[Event]]:
    start, end = ctx.phase(phase)
    window = (min(start + settle_s, end), end)
    events = within(ctx.requests(target), window)
    if not events:
        raise Unjudgeable(f"no requests to '{target}' were recorded {_where(ctx, phase, settle_s)}: "
                          "did the probe run, and is the settle shorter than the phase?")
    return window, events


def _where(ctx: JudgeContext, phase: str, settle_s: float) -> str:
    where = ctx.describe_phase(phase)
    return f"{where} after its first {ctx.lasting(settle_s)}" if settle_s else where


def check_availability(inv: Availability, ctx: JudgeContext) -> Verdict:
    ratios: dict[str, float] = {}
    counts: dict[str, int] = {}
    windows: dict[str, list[Window]] = {}
    window: Window = (0.0, 0.0)
    for target in ctx.targets(inv.target):
        window, events = _phase_requests(ctx, target, inv.phase, inv.settle)
        counts[target] = len(events)
        ratios[target] = sum(e.ok for e in events) / len(events)
        windows[target] = bad_runs(events, lambda e: not e.ok, window[1])
    failing = [t for t in ratios if ratios[t] < inv.min]
    worst = min(ratios, key=lambda t: ratios[t])
    where = _where(ctx, inv.phase, inv.settle)
    measured = {"ok_ratio": ratios, "requests": counts, "min": inv.min, "phase_window": list(window)}
    if not failing:
        return Verdict(inv.id, inv.kind, True,
                       f"{_names(ratios)} answered at least {inv.min:.0%} {where} "
                       f"(lowest: {worst} {ratios[worst]:.1%} of {counts[worst]}).",
                       measured=measured)
    broken = merge([w for t in failing for w in windows[t]])
    outage = longest(broken)
    summary = (f"{worst} answered only {ratios[worst]:.1%} of {counts[worst]} requests {where}, "
               f"under the {inv.min:.0%} minimum")
    if len(failing) > 1:
        summary += f" ({len(failing)} of {len(ratios)} targets under it)"
    if outage is not None:
        summary += f"; longest outage {ctx.lasting(outage[1] - outage[0])} from {ctx.at(outage[0])}"
    return Verdict(inv.id, inv.kind, False, summary + ".", broken, measured)


def request_latency_ms(event: Event, timeout_s: float | None) -> float | None:
    """A request's latency, where a timed-out request counts as the probe's timeout."""
    if event.data.get("timed_out") and timeout_s is not None:
        return timeout_s * 1000
    return event.latency_ms


def check_latency(inv: LatencyBound, ctx: JudgeContext) -> Verdict:
    limit_ms = inv.max * 1000

    def latency_ms(event: Event) -> float | None:
        return request_latency_ms(event, ctx.api_timeout_s)

    observed: dict[str, float] = {}
    medians: dict[str, float] = {}
    timeouts: dict[str, int] = {}
    windows: dict[str, list[Window]] = {}
    for target in ctx.targets(inv.target):
        window, events = _phase_requests(ctx, target, inv.phase)
        timed = [e for e in events if latency_ms(e) is not None]
        if not timed:
            raise Unjudgeable(f"requests to '{target}' carry no latency {ctx.describe_phase(inv.phase)}")
        values = [v for v in map(latency_ms, timed) if v is not None]
        observed[target] = percentile(values, inv.percentile)
        medians[target] = percentile(values, 50)
        timeouts[target] = sum(bool(e.data.get("timed_out")) for e in timed)
        windows[target] = bad_runs(timed, lambda e: (latency_ms(e) or 0.0) > limit_ms, window[1])
    label = f"p{inv.percentile:g}"
    worst = max(observed, key=lambda t: observed[t])
    failing = [t for t in observed if observed[t] > limit_ms]
    where = ctx.describe_phase(inv.phase)
    measured = {label: observed, "p50": medians, "timeouts": timeouts, "max_ms": limit_ms}
    if not failing:
        return Verdict(inv.id, inv.kind, True,
                       f"{label} latency of {_names(observed)} stayed under {limit_ms:.0f} ms {where} "
                       f"(highest: {worst} {observed[worst]:.0f} ms).",
                       measured=measured)
    summary = f"{label} latency of {worst} was {observed[worst]:.0f} ms {where}, over the {limit_ms:.0f} ms bound"
    if timeouts[worst]:
        summary += f" ({timeouts[worst]} of its requests timed out)"
    if len(failing) > 1:
        summary += f"; {len(failing)} of {len(observed)} targets over it"
    return Verdict(inv.id, inv.kind, False, summary + ".", merge([w for t in failing for w in windows[t]]), measured)


def check_error_pages_link_status(inv: ErrorPagesLinkStatus, ctx: JudgeContext) -> Verdict:
    pages: dict[str, int] = {}
    unlinked: dict[str, int] = {}
    windows: list[Window] = []
    for target in ctx.targets(inv.target):
        window, events = _phase_requests(ctx, target, inv.phase)
        errors = [e for e in events if _is_error_page(e)]
        pages[target] = len(errors)
        unlinked[target] = sum(not e.data.get("status_link") for e in errors)
        windows += bad_runs(events, lambda e: _is_error_page(e) and not e.data.get("status_link"), window[1])
    measured = {"error_pages": pages, "without_status_link": unlinked}
    total, missing = sum(pages.values()), sum(unlinked.values())
    where = ctx.describe_phase(inv.phase)
    if missing == 0:
        return Verdict(inv.id, inv.kind, True,
                       f"all {total} error pages from {_names(pages)} {where} linked to the status page.",
                       measured=measured)
    return Verdict(inv.id, inv.kind, False,
                   f"{missing} of {total} error pages from {_names(pages)} {where} did not link to the status page.",
                   merge(windows), measured)


def _is_error_page(event: Event) -> bool:
    return (event.data.get("status") or 0) >= 500


def _names(per_target: Mapping[str, object]) -> str:
    names = list(per_target)
    return names[0] if len(names) == 1 else "every target (" + ", ".join(names) + ")"
