"""The report's replica-set chart: which member was primary, over time."""

from __future__ import annotations

from harness.extensions import CHARTS
from harness.report.charts import Chart, figure_with_time_axes, to_svg
from harness.report.record import RunRecord
from systems.mongodb.probe import RS_STATUS
from systems.mongodb.roles import members


def primary(record: RunRecord) -> str | None:
    statuses = record.history.events(RS_STATUS)
    if not statuses:
        return None
    voters = members(record.run.topology)
    names = [f"{n.name} ({n.provider})" for n in voters] + ["none"]
    index = {n.name: i for i, n in enumerate(voters)}

    def row(primary: object) -> int:
        name = str(primary).partition(":")[0] if primary else None
        return index.get(name, len(voters)) if name else len(voters)

    figure, axes = figure_with_time_axes(record, 0.35 * len(names) + 1.4)
    axes.step([e.t for e in statuses], [row(e.data.get("primary")) for e in statuses], where="post",
              color="#9467bd", linewidth=2)
    axes.set_yticks(range(len(names)), names)
    axes.set_ylim(len(names) - 0.5, -0.5)
    axes.set_ylabel("primary")
    return to_svg(figure, "primary")


CHARTS.register(Chart("replica-set-primary", "Replica-set primary", primary, 40))
