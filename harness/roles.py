"""Node roles and stack set-ups: how a system gives its nodes shorthands and bring-up steps.

A role is a shorthand: ``role: smtp`` in a topology stands for an image, a
command, an environment, ports and a readiness check, which the role fills in
when the stack starts (``expand``). Its ``ports`` are the defaults a node of that
role listens on; ``needs`` names roles whose nodes must be up (and set up)
first; ``options`` is the schema of the node settings only this role takes
(a proxy's ``spare``, a replica-set member's ``priority``).

A stack set-up runs once every node of its roles is ready, before any node
that needs those roles starts: MongoDB's replSetInitiate is one.

An architecture's UPPER_CASE settings are every node's environment; its
lower-case ones belong to the roles and set-ups that declare them in
``settings`` (a replica set's ``election_timeout_ms``). ``check`` lets a role
refuse an architecture it cannot build, before any container starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from harness.runtime.images import ImageSet
    from harness.stack import Stack
    from harness.topology import Node, Topology


@dataclass(frozen=True)
class StackContext:
    """What a role's expansion may depend on besides its node."""

    topology: Topology
    images: ImageSet
    run_id: str
    architecture: str = ""
    settings: dict[str, str] = field(default_factory=dict)  # the architecture's settings
    loads: dict[str, Any] = field(default_factory=dict)  # the run's loads, by timeline id


@dataclass(frozen=True)
class Role:
    name: str
    summary: str
    expand: Callable[[Node, StackContext], Node]  # the node as a plain one: image, command, env, ready
    ports: tuple[int, ...] = ()
    public: bool = False
    # Whether a node of this role holds the floating IP at start, given its options.
    floating: Callable[[BaseModel | None], bool] | None = None
    needs: tuple[str, ...] = ()
    options: type[BaseModel] | None = None
    settings: tuple[str, ...] = ()  # the lower-case architecture settings it reads
    # Problems with an architecture (its name and settings), each a sentence with its fix.
    check: Callable[[str, dict[str, Any]], list[str]] | None = None


@dataclass(frozen=True)
class StackSetup:
    name: str
    roles: tuple[str, ...]
    run: Callable[[Stack, list[Node]], None] | None  # once its roles' nodes are up (None: nothing to do)
    settings: tuple[str, ...] = ()  # the lower-case architecture settings it reads
    # Between two runs on one stack (outage explore): bring its part back to a clean state, or
    # raise HarnessError when it cannot (the stack is then rebuilt).
    reset: Callable[[Stack, list[Node]], None] | None = None
