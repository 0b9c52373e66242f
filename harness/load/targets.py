"""Where a flood may go: the nodes it names (or null sinks this run started), nowhere else.

The check reads Docker, not the topology: a target passes only if a running
container carrying this run's label answers on that public address, and it
is one of the flood's nodes or a null sink of the run.
"""

from __future__ import annotations

from harness.errors import HarnessError
from harness.load.plan import Target
from harness.scenario.spec import ROLE_PREFIX
from harness.stack import Stack
from harness.stack.cleanup import LABEL_NODE, LABEL_ROLE, LABEL_RUN

SINK_ROLE = "flood-sink"
# Sinks carry the port they listen on, as SMTP nodes carry theirs in the topology.
LABEL_PORT = "outage-harness.port"


def node_targets(stack: Stack, names: list[str]) -> list[Target]:
    """The named SMTP nodes (``role:<role>`` for every node of a role), at the public
    address the internet reaches them on."""
    targets = []
    for node in _nodes(stack, names):
        public = stack.access(node).public_address
        if public is None:
            raise HarnessError(f"node '{node}' has no public address, so no attacker can reach it",
                               "flood public nodes (an smtp role is public), or set public: true")
        targets.append(Target(node, public, stack.topology.port_of(node)))
    if not targets:
        raise HarnessError("the flood names no node to flood", "give it targets: [role:smtp] or node names")
    return targets


def _nodes(stack: Stack, names: list[str]) -> list[str]:
    nodes: list[str] = []
    for name in names:
        if name.startswith(ROLE_PREFIX):
            nodes += [n.name for n in stack.topology.by_role(name.removeprefix(ROLE_PREFIX))]
        else:
            nodes.append(name)
    return nodes


def check_targets(stack: Stack, targets: list[Target], names: list[str]) -> None:
    """Refuse every target that is not one of the run's named nodes or null sinks."""
    allowed = _allowed_endpoints(stack, set(_nodes(stack, names)))
    strangers = [t for t in targets if (t.host, t.port) not in allowed]
    if strangers:
        listed = ", ".join(f"{t.host}:{t.port} ({t.name})" for t in strangers)
        raise HarnessError(
            f"refusing to flood {listed}: not a flooded node or null sink of run {stack.run_id}",
            "floods only go to the stack's own containers; leave the targets out to flood the named nodes",
        )
    if not targets:
        raise HarnessError("a flood needs at least one target", "name the nodes it floods")


def _allowed_endpoints(stack: Stack, nodes: set[str]) -> set[tuple[str, int]]:
    public = stack.public_network.name
    allowed: set[tuple[str, int]] = set()
    for container in stack.client.containers.list(filters={"label": f"{LABEL_RUN}={stack.run_id}"}):
        labels = container.labels
        address = container.attrs["NetworkSettings"]["Networks"].get(public, {}).get("IPAddress")
        if not address:
            continue
        if labels.get(LABEL_NODE) in nodes:
            allowed.add((address, stack.topology.port_of(labels[LABEL_NODE])))
        elif labels.get(LABEL_ROLE) == SINK_ROLE and labels.get(LABEL_PORT, "").isdigit():
            allowed.add((address, int(labels[LABEL_PORT])))
    return allowed
