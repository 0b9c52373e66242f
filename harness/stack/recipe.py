"""What a node's container is: image, command, environment, readiness check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from harness.runtime.images import ImageSet
from harness.topology import Node, Topology

ReadyCheck = Callable[[str, int], bool]


@dataclass(frozen=True)
class Recipe:
    image: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    # Called with (address, port) from the host until it returns True.
    ready: ReadyCheck = lambda address, port: True  # noqa: E731
    # Ports the host reads (metrics) besides the node's own port; not on the fabric.
    host_ports: tuple[int, ...] = ()


@dataclass(frozen=True)
class StackContext:
    """What a recipe may depend on besides its node."""

    topology: Topology
    images: ImageSet
    run_id: str
    settings: dict[str, str] = field(default_factory=dict)


RecipeFactory = Callable[[Node, StackContext], Recipe]
