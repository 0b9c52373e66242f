"""What container each role runs, and how the host tells it is ready."""

from __future__ import annotations

import socket

from harness.errors import HarnessError
from harness.stack.database import member_recipe
from harness.stack.mail_roles import api_recipe, proxy_recipe, smtp_recipe
from harness.stack.recipe import Recipe, RecipeFactory, StackContext
from harness.topology import Node, Role


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
    Role.MONGO: member_recipe,
    Role.ARBITER: member_recipe,
    Role.SMTP: smtp_recipe,
    Role.API: api_recipe,
    Role.PROXY: proxy_recipe,
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
