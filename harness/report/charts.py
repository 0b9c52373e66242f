"""The report's charts, rendered by matplotlib to inline SVG strings.

No pyplot: each chart is its own Figure, so rendering keeps no global state.
Every chart shares one x axis: real seconds since the run started (bottom)
and incident time, real / time scale (top); faults and loads are shaded,
operator actions are dashed lines (red when they failed); a dotted grey line
marks the end of the timeline, where the unscaled grace begins.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib import rc_context, rcParams
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator, PercentFormatter

from harness.durations import format_offset
from harness.extensions import CHARTS
from harness.history import Event
from harness.invariants.latency import LatencyBound, observed_latency_ms
from harness.invariants.windows import percentile
from harness.probes.smtp import MAIL_STORED, SMTP_SEND
from harness.report.record import RunRecord

WIDTH_IN = 11.0


@dataclass(frozen=True)
class Chart:
    """A report chart: ``draw`` returns an inline SVG, or None when the run has nothing to draw."""

    name: str
    title: str
    draw: Callable[[RunRecord], str | None]
    order: int  # where it goes on the page: lower first



FAULT_COLOR = "#d62728"
LOAD_COLOR = "#ff7f0e"
HELD_COLOR = "#2ca02c"
UNJUDGED_COLOR = "#7f7f7f"
INCIDENT_STEPS_S = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
MAX_BUCKETS = 100


def to_svg(figure: Figure, name: str) -> str:
    """The figure as an <svg> element to inline; `name` keeps element ids unique within the page."""
    out = io.StringIO()
    with rc_context({"svg.hashsalt": name, "svg.fonttype": "none"}):
        figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg"):]


def _figure(height_in: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(WIDTH_IN, height_in))
    axes = figure.add_subplot()
    axes.grid(alpha=0.3)
    return figure, axes


def figure_with_time_axes(record: RunRecord, height_in: float) -> tuple[Figure, Axes]:
    """A chart on the run's shared time axes (both clocks, fault and load shading)."""
    figure, axes = _figure(height_in)
    _time_axes(axes, record)
    return figure, axes


def _time_axes(axes: Axes, record: RunRecord, marks: bool = True) -> None:
    """Both clocks on the x axis, plus fault and load shading and action lines."""
    end = record.end_s
    scale = record.run.time_scale
    axes.set_xlim(0, max(end, 1.0) * 1.02)  # a margin keeps steps at the very end visible
    axes.set_xlabel("real seconds since the run started")
    def to_incident(real: Any) -> Any:
        return real / scale

    def to_real(incident: Any) -> Any:
        return incident * scale

    top = axes.secondary_xaxis("top", functions=(to_incident, to_real))
    step = next((s for s in INCIDENT_STEPS_S if end / scale / s <= 10), INCIDENT_STEPS_S[-1])
    top.xaxis.set_major_locator(MultipleLocator(step))
    top.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_offset(round(v)) if v >= 0 else ""))
    top.set_xlabel("incident time")
    axes.axvline(record.run.timeline_end_s, color=UNJUDGED_COLOR, linestyle=":", linewidth=1)
    if not marks:
        return
    for entry in record.timeline:
        if entry.started_s is None:
            continue
        if entry.category == "action":
            color = FAULT_COLOR if entry.error else "black"
            axes.axvline(entry.started_s, color=color, linestyle="--", linewidth=1)
        else:
            stop = entry.ended_s if entry.ended_s is not None else end
            color = FAULT_COLOR if entry.category == "fault" else LOAD_COLOR
            axes.axvspan(entry.started_s, stop, color=color, alpha=0.08, linewidth=0)


def overview(record: RunRecord) -> str:
    """One row per timeline entry and per invariant: what happened, and when each invariant broke."""
    rows: list[tuple[str, str]] = []  # (label, color)
    entries = list(record.timeline)
    height = 0.32 * (len(entries) + len(record.verdicts)) + 1.4
    figure, axes = _figure(height)
    _time_axes(axes, record, marks=False)
    end = record.end_s
    for entry in entries:
        y = len(rows)
        if entry.started_s is None:
            rows.append((f"{entry.id} (never ran)", UNJUDGED_COLOR))
            continue
        if entry.category == "action":
            color = FAULT_COLOR if entry.error else "black"
            finish = entry.ended_s if entry.ended_s is not None else entry.started_s
            axes.plot([entry.started_s, finish], [y, y], color=color, linewidth=3)
            axes.plot([entry.started_s], [y], marker="v", color=color, markersize=8)
            label = f"{entry.id} (failed)" if entry.error else entry.id
        else:
            stop = entry.ended_s if entry.ended_s is not None else end
            color = FAULT_COLOR if entry.category == "fault" else LOAD_COLOR
            axes.broken_barh([(entry.started_s, stop - entry.started_s)], (y - 0.3, 0.6), color=color, alpha=0.35)
            label = f"{entry.id}: {entry.what}"
        rows.append((label, color))
    for verdict in record.verdicts:
        y = len(rows)
        if verdict.inconclusive:
            axes.broken_barh([(0, end)], (y - 0.15, 0.3), facecolor="none", edgecolor=UNJUDGED_COLOR, hatch="//")
            rows.append((f"{verdict.id} (not judged)", UNJUDGED_COLOR))
        elif verdict.held:
            axes.plot([0, end], [y, y], color=HELD_COLOR, linewidth=1.5)
            rows.append((f"{verdict.id} held", HELD_COLOR))
        else:
            spans = [(a, max(b - a, end / 400)) for a, b in verdict.broken_windows]
            axes.broken_barh(spans, (y - 0.3, 0.6), color=FAULT_COLOR)
            rows.append((f"{verdict.id} broke", FAULT_COLOR))
    axes.set_yticks(range(len(rows)), [label for label, _ in rows])
    for tick, (_, color) in zip(axes.get_yticklabels(), rows, strict=True):
        tick.set_color(color)
    axes.set_ylim(len(rows) - 0.5, -0.5)
    if entries:
        axes.axhline(len(entries) - 0.5, color="black", linewidth=0.8)
    return to_svg(figure, "overview")


def _request_series(record: RunRecord) -> list[tuple[str, str, float | None]]:
    """(probe id, target, timeout) for every request-like probe's target that recorded something:
    probes with a timeout (http, tcp, exec and those built on them)."""
    series = []
    for probe in record.run.scenario.probes:
        timeout = probe.judged_timeout()
        kind = probe.observes
        if timeout is None or kind is None:
            continue
        targets = sorted({e.target for e in record.history.events(kind) if e.source == probe.id})
        series += [(probe.id, target, timeout) for target in targets]
    return series


def _observed(record: RunRecord, probe_id: str, target: str) -> list[Event]:
    kind = record.run.scenario.probe(probe_id).observes
    return [e for e in record.history.events(kind, target) if e.source == probe_id]


def _buckets(events: Iterable[Event], width: float) -> dict[float, list[Event]]:
    grouped: dict[float, list[Event]] = defaultdict(list)
    for event in events:
        grouped[math.floor(event.t / width) * width + width / 2].append(event)
    return dict(sorted(grouped.items()))


def _bucket_width(record: RunRecord) -> float:
    return max(1.0, math.ceil(record.end_s / MAX_BUCKETS))


def probe_success(record: RunRecord) -> str | None:
    series = _request_series(record)
    if not series:
        return None
    figure, axes = _figure(3.2)
    _time_axes(axes, record)
    width = _bucket_width(record)
    for probe_id, target, _ in series:
        buckets = _buckets(_observed(record, probe_id, target), width)
        axes.plot(list(buckets), [sum(e.ok for e in b) / len(b) for b in buckets.values()],
                  marker=".", label=f"{probe_id}: {target}", linewidth=1)
    axes.set_ylim(-0.03, 1.05)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_ylabel(f"ok (per {width:g} s)")
    axes.legend(loc="lower left", fontsize="small", ncols=min(len(series), 4))
    return to_svg(figure, "probe-success")


def probe_latency(record: RunRecord) -> str | None:
    series = _request_series(record)
    if not series:
        return None
    figure, axes = _figure(3.4)
    _time_axes(axes, record)
    width = _bucket_width(record)
    for (probe_id, target, timeout_s), color in zip(series, _colors(), strict=False):
        buckets = _buckets(_observed(record, probe_id, target), width)
        p50, p99 = [], []
        for events in buckets.values():
            latencies = (observed_latency_ms(e, timeout_s) for e in events)
            values = [max(v, 0.1) for v in latencies if v is not None]  # the axis is logarithmic
            p50.append(percentile(values, 50) if values else math.nan)
            p99.append(percentile(values, 99) if values else math.nan)
        axes.plot(list(buckets), p99, color=color, label=f"{probe_id}: {target} p99")
        axes.plot(list(buckets), p50, color=color, linestyle=":", label=f"{probe_id}: {target} p50")
    for invariant in record.run.scenario.invariants:
        if isinstance(invariant, LatencyBound):
            axes.axhline(invariant.max * 1000, color=FAULT_COLOR, linewidth=0.8, linestyle="-.")
            axes.annotate(f"{invariant.id}: {invariant.max * 1000:g} ms", (0, invariant.max * 1000),
                          fontsize="x-small", color=FAULT_COLOR, va="bottom")
    axes.set_yscale("log")
    axes.set_ylabel(f"latency ms (per {width:g} s)")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="x-small")
    return to_svg(figure, "probe-latency")


def mail(record: RunRecord) -> str | None:
    sends = record.history.events(SMTP_SEND)
    if not sends:
        return None
    figure, axes = _figure(3.0)
    _time_axes(axes, record)
    accepted = [e.t for e in sends if e.data.get("accepted")]
    refused = [e.t for e in sends if not e.data.get("accepted")]
    landed: dict[str, float] = {}
    for event in record.history.events(MAIL_STORED):
        if event.data.get("copies", 0) >= 1:
            landed.setdefault(str(event.data.get("message_id")), event.t)
    _cumulative(axes, accepted, record.end_s, "accepted", "#1f77b4")
    _cumulative(axes, sorted(landed.values()), record.end_s, "stored", HELD_COLOR)
    if refused:
        _cumulative(axes, refused, record.end_s, "refused", FAULT_COLOR)
    axes.set_ylabel("messages (cumulative)")
    axes.legend(loc="upper left", fontsize="small")
    return to_svg(figure, "mail")


def _colors() -> list[str]:
    """The default color cycle, so a target's p50 and p99 lines share a color."""
    return list(rcParams["axes.prop_cycle"].by_key()["color"]) * 4


def _cumulative(axes: Axes, times: Sequence[float], end: float, label: str, color: str) -> None:
    counts = [*range(len(times) + 1), len(times)]
    axes.step([0.0, *times, end], counts, where="post", label=f"{label} ({len(times)})", color=color)


def state_spans(events: Sequence[Event], end: float) -> dict[bool, list[tuple[float, float]]]:
    """Runs of equal `refused` state as (start, width) spans, each lasting until the next probe."""
    spans: dict[bool, list[tuple[float, float]]] = defaultdict(list)
    for event, following in zip(events, [*events[1:], None], strict=True):
        stop = following.t if following is not None else end
        spans[bool(event.data.get("refused"))].append((event.t, max(stop - event.t, 0.0)))
    return spans


CHARTS.register(Chart("probe-success", "Success rate per probe target", probe_success, 10))
CHARTS.register(Chart("probe-latency", "Latency per probe target (p99 solid, p50 dotted)", probe_latency, 20))
CHARTS.register(Chart("mail", "Mail: accepted vs stored", mail, 30))
