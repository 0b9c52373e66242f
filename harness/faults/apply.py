"""Turn a scenario's fault into a change of the running stack, and back.

Each fault reports how many links (or nodes) it touched and how long the
change took to apply, measured around the calls that make it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.errors import HarnessError
from harness.fabric import CutMode, Fabric, Link
from harness.scenario import timeline as spec
from harness.stack import Stack


@dataclass
class AppliedFault:
    links: int
    apply_ms: float
    revert: Callable[[], float]  # undoes the fault; returns how long that took, in ms


def apply_fault(fault: spec.Fault, entry_id: str, stack: Stack, blocked_actions: set[str]) -> AppliedFault:
    if isinstance(fault, spec.MaintenanceBlock):
        # A provider's policy, not a network change: it touches neither fabric nor nodes.
        action_id = fault.blocks
        return _timed(lambda: blocked_actions.add(action_id), lambda: blocked_actions.discard(action_id))
    fabric = stack.fabric
    assert fabric is not None, "the stack is not started"
    match fault:
        case spec.ProviderOutage(provider=provider, except_=spare, mode=mode):  # and RouterFailure
            links = fabric.links_of_provider(provider, spare=spare)
            return _cut(fabric, links, CutMode(mode))
        case spec.Partition(between=[a, b], direction=direction):
            links = _links_between(fabric, stack, a, b, one_way=direction == "one-way")
            return _cut(fabric, links, CutMode.REFUSE)
        case spec.Latency(from_=source, to=target, latency=latency, jitter=jitter):
            return _toxic(fabric, entry_id, "latency", _links_towards(fabric, stack, source, target),
                          latency=round(latency * 1000), jitter=round(jitter * 1000))
        case spec.Bandwidth(from_=source, to=target, rate_kbps=rate):
            return _toxic(fabric, entry_id, "bandwidth", _links_towards(fabric, stack, source, target),
                          rate=rate)
        case spec.ResetPeer(from_=source, to=target):
            return _toxic(fabric, entry_id, "reset_peer", _links_towards(fabric, stack, source, target),
                          timeout=0)
        case spec.Kill(node=node):
            return _timed(lambda: stack.kill(node), lambda: stack.start_node(node))
        case spec.Pause(node=node):
            return _timed(lambda: stack.pause(node), lambda: stack.unpause(node))
        case spec.Restart(node=node):
            return _timed(lambda: stack.restart(node), lambda: None)
    raise HarnessError(f"fault kind '{fault.kind}' has no implementation", "report this harness bug")


def _cut(fabric: Fabric, links: list[Link], mode: CutMode) -> AppliedFault:
    return AppliedFault(len(links), fabric.cut(links, mode), lambda: fabric.restore(links))


def _toxic(fabric: Fabric, name: str, kind: str, links: list[Link], **attributes: int) -> AppliedFault:
    return AppliedFault(len(links), fabric.add_toxic(name, kind, links, **attributes),
                        lambda: fabric.remove_toxic(name))


def _timed(do: Callable[[], object], undo: Callable[[], object]) -> AppliedFault:
    def measure(action: Callable[[], object]) -> float:
        started = time.perf_counter()
        action()
        return (time.perf_counter() - started) * 1000

    return AppliedFault(1, measure(do), lambda: measure(undo))


def _provider_of(stack: Stack, name: str) -> str:
    return name if name in stack.topology.providers else stack.topology.node(name).provider


def _links_towards(fabric: Fabric, stack: Stack, source: str, target: str) -> list[Link]:
    """Links from provider ``source`` to node ``target`` or to every node of provider ``target``."""
    if target in stack.topology.providers:
        return fabric.links_between(source, target, one_way=True)
    return fabric.links_into(target, [source])


def _links_between(fabric: Fabric, stack: Stack, a: str, b: str, one_way: bool) -> list[Link]:
    """Links from side ``a`` to the nodes of side ``b`` (and back unless ``one_way``).

    A side is a provider or a node. The fabric cannot tell apart senders inside
    one provider, so a node side speaks for its whole provider."""
    def nodes_of(side: str) -> list[str]:
        if side in stack.topology.providers:
            return [n.name for n in stack.topology.nodes_in(side)]
        return [stack.topology.node(side).name]

    links = [fabric.link(_provider_of(stack, a), node) for node in nodes_of(b)]
    if not one_way:
        links += [fabric.link(_provider_of(stack, b), node) for node in nodes_of(a)]
    return links
