"""Where a flood may go: the stack's own SMTP servers (or null sinks this run started), nowhere else.

The check reads Docker, not the topology: a target passes only if a running
container carrying this run's label answers on that public address, and it
is an SMTP node or a null sink of the run.
"""

from __future__ import annotations

from harness.errors import HarnessError
from harness.load.plan import Target
from harness.stack import Stack
from harness.stack.cleanup import LABEL_NODE, LABEL_ROLE, LABEL_RUN
from harness.topology import Role

SINK_ROLE = "flood-sink"
# Sinks carry the port they listen on, as SMTP nodes carry theirs in the topology.
LABEL_PORT = "outage-harness.port"


def stack_smtp_targets(stack: Stack) -> list[Target]:
    """Every SMTP server of the stack, at the public address the internet reaches it on."""
    targets = []
    for node in stack.topology.by_role(Role.SMTP):
        public = stack.access(node.name).public_address
        if public is None:
            raise HarnessError(f"SMTP node '{node.name}' has no public address, so no attacker can reach it",
                               "leave `public` unset (SMTP nodes are public by default) or set it to true")
        targets.append(Target(node.name, public, stack.topology.port_of(node.name)))
    if not targets:
        raise HarnessError("the topology has no SMTP server to flood", "add a node with role smtp")
    return targets


def check_targets(stack: Stack, targets: list[Target]) -> None:
    """Refuse every target that is not one of this run's SMTP servers or null sinks."""
    allowed = _allowed_endpoints(stack)
    strangers = [t for t in targets if (t.host, t.port) not in allowed]
    if strangers:
        listed = ", ".join(f"{t.host}:{t.port} ({t.name})" for t in strangers)
        raise HarnessError(
            f"refusing to flood {listed}: not an SMTP server or null sink of run {stack.run_id}",
            "floods only go to the stack's own containers; leave the targets out to flood its SMTP servers",
        )
    if not targets:
        raise HarnessError("a flood needs at least one target", "leave the targets out to flood the SMTP servers")


def _allowed_endpoints(stack: Stack) -> set[tuple[str, int]]:
    public = stack.public_network.name
    allowed: set[tuple[str, int]] = set()
    for container in stack.client.containers.list(filters={"label": f"{LABEL_RUN}={stack.run_id}"}):
        labels = container.labels
        address = container.attrs["NetworkSettings"]["Networks"].get(public, {}).get("IPAddress")
        if not address:
            continue
        if labels.get(LABEL_ROLE) == Role.SMTP.value:
            allowed.add((address, stack.topology.port_of(labels[LABEL_NODE])))
        elif labels.get(LABEL_ROLE) == SINK_ROLE and labels.get(LABEL_PORT, "").isdigit():
            allowed.add((address, int(labels[LABEL_PORT])))
    return allowed
