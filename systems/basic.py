"""The smallest nodes: an idle box to look from, and a TCP echo server for fabric checks."""

from __future__ import annotations

from harness.extensions import ROLES
from harness.roles import Role, StackContext
from harness.topology import Node


def _echo(node: Node, ctx: StackContext) -> Node:
    return Node(name=node.name, provider=node.provider, image=ctx.images.node, ports=node.ports,
                command=["python", "-m", "fixtures.echo", "--port", str(node.port)], ready={"tcp": {}})


def _vantage(node: Node, ctx: StackContext) -> Node:
    return Node(name=node.name, provider=node.provider, image=ctx.images.node, ports=node.ports,
                command=["sleep", "infinity"])


ROLES.register(Role("echo", "a TCP echo server: the smallest node, for fabric checks", _echo, ports=(7001,)))
ROLES.register(Role("vantage", "an idle box to look from, like the 2018 office ssh session", _vantage))
