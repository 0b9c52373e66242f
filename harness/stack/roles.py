"""What container each role runs, and how the host tells it is ready."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.errors import HarnessError
from harness.runtime.images import ImageSet
from harness.topology import Node, Role, Topology

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


def echo_answers(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1) as conn:
            conn.settimeout(1)
            conn.sendall(b"ready?\n")
            return conn.recv(16) == b"ready?\n"
    except OSError:
        return False


def _echo(node: Node, ctx: StackContext) -> Recipe:
    return Recipe(ctx.images.node, ["python", "-m", "fixtures.echo", "--port", str(node.port)],
                  ready=echo_answers)


def _vantage(node: Node, ctx: StackContext) -> Recipe:
    return Recipe(ctx.images.node, ["sleep", "infinity"])


RECIPES: dict[Role, RecipeFactory] = {
    Role.ECHO: _echo,
    Role.VANTAGE: _vantage,
}


def recipe_for(node: Node, ctx: StackContext) -> Recipe:
    try:
        factory = RECIPES[node.role]
    except KeyError:
        known = ", ".join(sorted(r.value for r in RECIPES))
        raise HarnessError(
            f"node '{node.name}' has role '{node.role.value}', which this stack cannot start",
            f"use a role with a container recipe: {known}",
        ) from None
    return factory(node, ctx)
