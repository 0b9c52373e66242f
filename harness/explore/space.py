"""An explore section resolved against one topology: what each fault kind may draw from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.scenario.explore import ExploreSection, drawable_kinds

if TYPE_CHECKING:
    from harness.topology import Topology


@dataclass(frozen=True)
class Space:
    """An explore section resolved against one topology: what a fault kind may draw."""

    topology: Topology
    kinds: list[str]
    providers: list[str]
    nodes: list[str]
    min_s: float
    max_s: float
    faults: int
    concurrent: int
    quiet_s: float
    length_s: float
    restart: bool  # reset between schedules by restarting every node


def resolve_space(section: ExploreSection | None, topology: Topology, length_s: float) -> Space:
    """The section's choices, or the defaults drawn from the topology where it makes none."""
    section = section or ExploreSection()
    return Space(
        topology=topology,
        kinds=section.kinds or drawable_kinds(),
        providers=section.providers or list(topology.providers),
        nodes=section.nodes or [n.name for n in topology.nodes],
        min_s=section.duration.min,
        max_s=min(section.duration.max, section.length or length_s),
        faults=section.faults,
        concurrent=section.concurrent,
        quiet_s=section.quiet,
        length_s=section.length or length_s,
        restart=section.reset == "restart",
    )
