"""report.html: one self-contained page (inline CSS and SVG) per run.

The first screen answers "did it hold, and if not, what broke, when, for how
long": the outcome, then the verdict table (expected against observed, with
the broken windows on both clocks), then the overview chart.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from harness.durations import format_duration, format_offset
from harness.extensions import CHARTS
from harness.invariants.verdict import Verdict, Window
from harness.report import charts
from harness.report.record import RunRecord

REPORT = "report.html"

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1180px;
padding:16px;color:#222}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.banner{padding:12px 16px;border-radius:6px;margin-bottom:12px}
.pass{background:#e6f4ea;border-left:6px solid #2ca02c} .fail{background:#fdecea;border-left:6px solid #d62728}
.meta{color:#555;font-size:13px} .warn{color:#a04000;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{border-bottom:1px solid #e3e3e3;padding:5px 7px;
text-align:left;vertical-align:top} th{background:#f6f6f6}
tr.surprise td{background:#fdecea} tr.expected td{background:#f3faf4}
.tag{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;font-weight:600;color:#fff}
.broke{background:#d62728} .held{background:#2ca02c} .unjudged{background:#7f7f7f}
.chart svg{width:100%;height:auto} .mono{font-family:ui-monospace,monospace;font-size:12px}
ul.mismatch{margin:6px 0 0 18px;padding:0}
"""


def render_report(record: RunRecord) -> str:
    sections = [
        _banner(record),
        _verdict_table(record),
        _chart("What happened, and when each invariant broke", charts.overview(record)),
        *(_chart(chart.title, chart.draw(record)) for chart in sorted(CHARTS.values(), key=lambda c: c.order)),
        _executed_timeline(record),
        _scenario_facts(record),
    ]
    title = f"{record.run.scenario.name} [{record.meta.architecture}] {'PASS' if record.outcome.passed else 'FAIL'}"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(s for s in sections if s)
        + f"\n<p class='meta'>Rendered from journal.json: {len(record.history)} events. "
        "The report draws the history; the verdicts are the checkers'.</p></body></html>\n"
    )


def write_report(run_dir: Path, record: RunRecord) -> Path:
    path = run_dir / REPORT
    path.write_text(render_report(record), encoding="utf-8")
    return path


class Clock:
    """Moments and spans on both clocks: incident time (real / time scale) and real seconds."""

    def __init__(self, time_scale: float) -> None:
        self.scale = time_scale

    def at(self, t: float) -> str:
        return f"{format_offset(round(t / self.scale))} <span class='meta'>({t:.1f} s)</span>"

    def span(self, window: Window) -> str:
        start, end = window
        length = end - start
        return (f"{self.at(start)} for {format_duration(round(length / self.scale))} "
                f"<span class='meta'>({length:.1f} s real)</span>")


def _banner(record: RunRecord) -> str:
    meta, outcome = record.meta, record.outcome
    verdict = "PASS" if outcome.passed else "FAIL"
    tier = escape(meta.database_tier)
    if meta.emulated:
        tier = f"<span class='warn'>{tier}: a replica-set emulator, not MongoDB</span>"
    mismatches = "".join(f"<li>{escape(m)}</li>" for m in outcome.mismatches)
    return (
        f"<div class='banner {'pass' if outcome.passed else 'fail'}'>"
        f"<h1>{verdict}: {escape(record.run.scenario.name)} [{escape(meta.architecture)}]</h1>"
        f"<div>{escape(outcome.summary)}</div>"
        + (f"<ul class='mismatch'>{mismatches}</ul>" if mismatches else "")
        + "</div>"
        f"<div class='meta'>run {escape(meta.run_id)} · started {escape(meta.started_at)} · "
        f"scenario file {escape(meta.scenario_file)} · seed {meta.seed} · profile {escape(meta.profile)} · "
        f"database {tier} · time scale {meta.time_scale:g} (incident time = real seconds / {meta.time_scale:g})</div>"
    )


def _state(verdict: Verdict) -> str:
    if verdict.inconclusive:
        return "<span class='tag unjudged'>not judged</span>"
    if verdict.held:
        return "<span class='tag held'>held</span>"
    return "<span class='tag broke'>broke</span>"


def _verdict_table(record: RunRecord) -> str:
    clock = Clock(record.run.time_scale)
    expected = set(record.outcome.expected_broken)
    rows = []
    for verdict in record.verdicts:
        as_expected = not verdict.inconclusive and (verdict.broken == (verdict.id in expected))
        windows = "<br>".join(clock.span(w) for w in verdict.broken_windows) or "—"
        rows.append(
            f"<tr class='{'expected' if as_expected else 'surprise'}'>"
            f"<td><b>{escape(verdict.id)}</b><br><span class='meta'>{escape(verdict.kind)}</span></td>"
            f"<td>{'break' if verdict.id in expected else 'hold'}</td><td>{_state(verdict)}</td>"
            f"<td>{windows}</td><td>{escape(verdict.summary)}</td></tr>"
        )
    return (
        "<h2>Verdicts</h2><table><tr><th>invariant</th><th>expected</th><th>observed</th>"
        "<th>broken (incident time, real seconds)</th><th>summary</th></tr>" + "".join(rows) + "</table>"
    )


def _chart(title: str, svg: str | None) -> str:
    if svg is None:
        return ""
    return f"<h2>{escape(title)}</h2><div class='chart'>{svg}</div>"


def _executed_timeline(record: RunRecord) -> str:
    clock = Clock(record.run.time_scale)
    rows = []
    for entry in record.timeline:
        started = "never" if entry.started_s is None else clock.at(entry.started_s)
        lag = "" if entry.lag_s is None else f"{entry.lag_s:+.2f} s"
        ended = "—" if entry.ended_s is None else clock.at(entry.ended_s)
        apply = "" if entry.apply_ms is None else f"{entry.apply_ms:.0f} ms"
        scheduled = clock.at(entry.scheduled_s)
        if entry.scheduled_stop_s is not None:
            scheduled += f" to {clock.at(entry.scheduled_stop_s)}"
        rows.append(
            f"<tr><td>{escape(entry.id)}</td><td>{escape(entry.category)}: {escape(entry.what)}</td>"
            f"<td>{scheduled}</td><td>{started}</td><td>{lag}</td><td>{apply}</td>"
            f"<td>{ended}</td><td>{escape(entry.error or '')}</td></tr>"
        )
    return (
        "<h2>Timeline as executed</h2><table><tr><th>id</th><th>what</th><th>scheduled</th><th>started</th>"
        "<th>lag</th><th>apply</th><th>ended</th><th>error</th></tr>" + "".join(rows) + "</table>"
    )


def _scenario_facts(record: RunRecord) -> str:
    run = record.run
    settings = "".join(f"<tr><td>{escape(k)}</td><td class='mono'>{escape(str(v))}</td></tr>"
                       for k, v in run.settings.items())
    nodes = "".join(
        f"<tr><td>{escape(n.name)}</td><td>{escape(n.role or n.image or n.build or '')}</td>"
        f"<td>{escape(n.provider)}</td><td>{', '.join(map(str, n.ports)) or '-'}</td></tr>"
        for n in run.topology.nodes
    )
    notes = "".join(f"<tr><td>{escape(k)}</td><td class='mono'>{escape(json.dumps(v))}</td></tr>"
                    for k, v in record.meta.notes.items())
    left_out = run.scenario.architecture(run.architecture).without
    return (
        f"<h2>Incident</h2><p>{escape(run.scenario.incident)}</p>"
        + (f"<p>Played without: {escape(', '.join(left_out))}</p>" if left_out else "")
        + (f"<h2>Settings of {escape(run.architecture)}</h2><table>{settings}</table>" if settings else "")
        + (f"<h2>Sized for this machine at the start of the run</h2><table>{notes}</table>" if notes else "")
        + "<h2>Topology</h2><table><tr><th>node</th><th>role or image</th><th>provider</th><th>ports</th></tr>"
        + nodes + "</table>"
    )
