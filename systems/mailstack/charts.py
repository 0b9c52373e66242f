"""The report's blocklist chart: when each SMTP server refused the blocked addresses."""

from __future__ import annotations

from harness.extensions import CHARTS
from harness.load.ledger import BLOCKLIST_PROBE
from harness.report.charts import (
    FAULT_COLOR,
    Chart,
    figure_with_time_axes,
    state_spans,
    to_svg,
)
from harness.report.record import RunRecord
from systems.mailstack.roles import SMTP


def blocklist(record: RunRecord) -> str | None:
    probes = record.history.events(BLOCKLIST_PROBE)
    if not probes:
        return None
    nodes = [n.name for n in record.run.topology.by_role(SMTP)]
    figure, axes = figure_with_time_axes(record, 0.35 * len(nodes) + 1.4)
    for y, node in enumerate(nodes):
        events = [e for e in probes if e.target == node]
        for refused, spans in state_spans(events, record.end_s).items():
            axes.broken_barh(spans, (y - 0.3, 0.6), color=FAULT_COLOR if refused else "#c7c7c7")
    axes.set_yticks(range(len(nodes)), nodes)
    axes.set_ylim(len(nodes) - 0.5, -0.5)
    axes.set_ylabel("red: refusing the blocked IPs")
    return to_svg(figure, "blocklist")


CHARTS.register(Chart("blocklist", "Blocklist state per SMTP server", blocklist, 50))
