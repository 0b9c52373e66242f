"""Replica-set members and arbiters as roles, and the set-up that initiates the set."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from harness.errors import HarnessError
from harness.extensions import ROLES, SETUPS
from harness.roles import Role, StackContext, StackSetup
from harness.topology import Node, Topology

if TYPE_CHECKING:
    from harness.stack import Stack

MEMBER, ARBITER = "mongo", "arbiter"
REPLICA_SET = "rs0"
INITIATE_TIMEOUT_S = 90
# MongoDB's defaults; a scenario may set others (and the report says so).
DEFAULT_HEARTBEAT_MS = 2000
DEFAULT_ELECTION_TIMEOUT_MS = 10000


class MemberSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Election priority: the highest available member becomes primary (MongoDB's default 1).
    priority: float | None = Field(default=None, ge=0, le=1000)


def members(topology: Topology) -> list[Node]:
    return topology.by_role(MEMBER, ARBITER)


def mongo_uri(topology: Topology, **options: str) -> str:
    """The replica-set URI clients in the stack use, by member names (through the fabric)."""
    hosts = ",".join(f"{n.name}:{n.port}" for n in members(topology))
    query = "&".join(f"{k}={v}" for k, v in {"replicaSet": REPLICA_SET, **options}.items())
    return f"mongodb://{hosts}/?{query}"


def _member(node: Node, ctx: StackContext) -> Node:
    if ctx.images.mongo:
        command = ["mongod", "--replSet", REPLICA_SET, "--port", str(node.port), "--bind_ip_all"]
        image = ctx.images.mongo
    else:
        command = ["python", "-m", "fixtures.mongoemu", "--me", f"{node.name}:{node.port}",
                   "--port", str(node.port), "--bind", "0.0.0.0", "--replset", REPLICA_SET,
                   # Inside the container's own filesystem: survives a kill or restart of the node.
                   "--data-dir", "/var/lib/mongoemu"]
        if node.role == ARBITER:
            command.append("--arbiter")
        image = ctx.images.node
    return Node(name=node.name, provider=node.provider, image=image, command=command, ports=node.ports,
                ready={"tcp": {}})


def replica_set_config(topology: Topology, settings: dict[str, Any]) -> dict[str, Any]:
    config_members = []
    for index, node in enumerate(members(topology)):
        member: dict[str, Any] = {"_id": index, "host": f"{node.name}:{node.port}"}
        if node.role == ARBITER:
            member["arbiterOnly"] = True
        elif node.role_settings is not None and node.role_settings.priority is not None:
            member["priority"] = node.role_settings.priority
        config_members.append(member)
    return {
        "_id": REPLICA_SET,
        "members": config_members,
        "settings": {
            "heartbeatIntervalMillis": int(settings.get("heartbeat_ms", DEFAULT_HEARTBEAT_MS)),
            "electionTimeoutMillis": int(settings.get("election_timeout_ms",
                                                      DEFAULT_ELECTION_TIMEOUT_MS)),
        },
    }


def initiate(topology: Topology, address_of: Callable[[str], str], settings: dict[str, Any],
             say: Callable[[str], None]) -> str:
    """Initiate the set and wait for a primary; returns the primary's name."""
    config = replica_set_config(topology, settings)
    data_bearing = [n for n in members(topology) if n.role == MEMBER]
    if not data_bearing:
        raise HarnessError("the topology has no mongo member", "add nodes with role mongo")
    # MongoDB initiates from the member that receives the command; start with the
    # preferred one so the first election is quick.
    seed = max(data_bearing, key=_priority)
    with _direct(address_of(seed.name), seed.port, timeout_ms=5000) as client:
        try:
            client.admin.command("replSetInitiate", config)
        except PyMongoError as err:
            raise HarnessError(f"replSetInitiate on {seed.name} failed: {err}",
                               "look at that member's container logs") from err
    say(f"replica set {REPLICA_SET} initiated from {seed.name}; waiting for a primary")
    deadline = time.monotonic() + INITIATE_TIMEOUT_S
    while time.monotonic() < deadline:
        # Ask the preferred member to stand now rather than after a whole election
        # timeout (MongoDB's replSetStepUp; the emulator has it too).
        try:
            with _direct(address_of(seed.name), seed.port, timeout_ms=2000) as client:
                if client.admin.command("hello").get("secondary"):
                    client.admin.command("replSetStepUp")
        except PyMongoError:
            pass
        for node in data_bearing:
            try:
                with _direct(address_of(node.name), node.port, timeout_ms=500) as client:
                    if client.admin.command("hello").get("isWritablePrimary"):
                        return node.name
            except PyMongoError:
                continue
        time.sleep(0.25)
    raise HarnessError(f"no primary within {INITIATE_TIMEOUT_S} s of replSetInitiate",
                       "look at the members' container logs")


def _priority(node: Node) -> float:
    settings = node.role_settings
    return settings.priority if settings is not None and settings.priority is not None else 1.0


def state_from_hello(hello: dict[str, Any]) -> str:
    """A member's replica-set state as its own hello reply tells it."""
    if hello.get("isWritablePrimary"):
        return "PRIMARY"
    if hello.get("arbiterOnly"):
        return "ARBITER"
    return "SECONDARY" if hello.get("secondary") else "OTHER"


def member_states(topology: Topology, address_of: Callable[[str], str]) -> dict[str, str]:
    """Every member's state, asked of it directly from the host, which no fault cuts
    ('unreachable' when it does not answer)."""
    states = {}
    for node in members(topology):
        try:
            with _direct(address_of(node.name), node.port, timeout_ms=500) as client:
                states[node.name] = state_from_hello(client.admin.command("hello"))
        except PyMongoError:
            states[node.name] = "unreachable"
    return states


def describe_tier(address: str, port: int) -> str:
    """What answered: the emulator says so in buildInfo; MongoDB gives its version."""
    with _direct(address, port, timeout_ms=2000) as client:
        info = client.admin.command("buildInfo")
    if info.get("outageHarnessEmulator"):
        return f"emulator (fixtures/mongoemu, wire version of MongoDB {info.get('version')})"
    return f"MongoDB {info.get('version')}"


def _direct(address: str, port: int, timeout_ms: int) -> MongoClient:
    return MongoClient(address, port, directConnection=True, serverSelectionTimeoutMS=timeout_ms,
                       connectTimeoutMS=timeout_ms, socketTimeoutMS=max(timeout_ms, 2000))


def _initiate(stack: Stack, nodes: list[Node]) -> None:
    first = nodes[0]
    tier = describe_tier(stack.address(first.name), first.port or 0)
    stack.notes["database tier"] = tier
    stack.say(f"database tier: {tier}")
    primary = initiate(stack.topology, stack.address, stack.context.settings, stack.say)
    stack.say(f"replica set has a primary: {primary}")


def replica_set_primary(stack: Stack) -> str | None:
    """The member that says it is primary, if any, asked from the host."""
    states = member_states(stack.topology, stack.address)
    return next((name for name, state in states.items() if state == "PRIMARY"), None)


ROLES.register(Role(MEMBER, "a data-bearing MongoDB replica-set member (mongod, or the emulator)", _member,
                    ports=(27017,), options=MemberSettings))
ROLES.register(Role(ARBITER, "a voting, data-less MongoDB replica-set member", _member, ports=(27017,)))
def _primary_again(stack: Stack, nodes: list[Node]) -> None:
    """Between runs on one stack: wait for the set to have a primary again."""
    deadline = time.monotonic() + INITIATE_TIMEOUT_S
    while replica_set_primary(stack) is None:
        if time.monotonic() > deadline:
            raise HarnessError(f"the replica set has no primary {INITIATE_TIMEOUT_S} s after the reset",
                               "look at the members' logs in the run's report folder")
        time.sleep(0.25)


SETUPS.register(StackSetup("mongodb-replica-set", (MEMBER, ARBITER), _initiate,
                           settings=("heartbeat_ms", "election_timeout_ms"), reset=_primary_again))
