"""What a client entity observes: command, connection-pool and topology events, as the unified
format names and describes them (pymongo's listeners feed them in)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from pymongo import monitoring

# Commands whose events the format tells runners to ignore unless observeSensitiveCommands is set.
SENSITIVE_COMMANDS = frozenset({"authenticate", "saslstart", "saslcontinue", "getnonce", "createuser", "updateuser", "copydbgetnonce", "copydbsaslstart", "copydb", "hello", "ismaster"})
COMMAND_EVENTS = frozenset({"commandStartedEvent", "commandSucceededEvent", "commandFailedEvent"})
CMAP_EVENTS = frozenset(
    {
        "poolCreatedEvent",
        "poolReadyEvent",
        "poolClearedEvent",
        "poolClosedEvent",
        "connectionCreatedEvent",
        "connectionReadyEvent",
        "connectionClosedEvent",
        "connectionCheckOutStartedEvent",
        "connectionCheckOutFailedEvent",
        "connectionCheckedOutEvent",
        "connectionCheckedInEvent",
    }
)
SDAM_EVENTS = frozenset(
    {
        "serverDescriptionChangedEvent",
        "topologyDescriptionChangedEvent",
        "serverHeartbeatStartedEvent",
        "serverHeartbeatSucceededEvent",
        "serverHeartbeatFailedEvent",
        "topologyOpeningEvent",
        "topologyClosedEvent",
        "serverOpeningEvent",
        "serverClosedEvent",
    }
)
EVENT_TYPES = {"command": COMMAND_EVENTS, "cmap": CMAP_EVENTS, "sdam": SDAM_EVENTS}


@dataclass
class Event:
    name: str
    fields: dict[str, Any]


@dataclass
class EventLog(
    monitoring.CommandListener,
    monitoring.ConnectionPoolListener,
    monitoring.ServerListener,
    monitoring.TopologyListener,
):
    """Every event of one client that its entity asked to observe, in arrival order."""

    observe: frozenset[str]
    ignore_commands: frozenset[str] = frozenset()
    sensitive: bool = False
    events: list[Event] = field(default_factory=list)
    # Every command started, observed or not (for assertSameLsidOnLastTwoCommands).
    started_commands: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _add(self, name: str, **fields: Any) -> None:
        if name in self.observe:
            with self.lock:
                self.events.append(Event(name, fields))

    def of_kind(self, kind: str) -> list[Event]:
        wanted = EVENT_TYPES[kind]
        with self.lock:
            return [event for event in self.events if event.name in wanted]

    def count(self, name: str, matches: Any) -> int:
        with self.lock:
            candidates = [event for event in self.events if event.name == name]
        return sum(1 for event in candidates if matches(event))

    def wait_for(self, name: str, matches: Any, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count(name, matches) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout:.0f} s for {count} {name} events, saw {self.count(name, matches)}")
            time.sleep(0.02)

    def _skipped(self, command_name: str) -> bool:
        lowered = command_name.lower()
        if lowered == "configurefailpoint" or command_name in self.ignore_commands:
            return True
        return lowered in SENSITIVE_COMMANDS and not self.sensitive

    # Command monitoring

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        with self.lock:
            self.started_commands.append(event.command)
        if not self._skipped(event.command_name):
            self._add(
                "commandStartedEvent",
                command=event.command,
                commandName=event.command_name,
                databaseName=event.database_name,
                hasServiceId=event.service_id is not None,
                hasServerConnectionId=event.server_connection_id is not None,
            )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if not self._skipped(event.command_name):
            self._add("commandSucceededEvent", reply=event.reply, commandName=event.command_name, databaseName=event.database_name)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        if not self._skipped(event.command_name):
            self._add("commandFailedEvent", commandName=event.command_name, databaseName=event.database_name)

    # Connection pools

    def pool_created(self, event: Any) -> None:
        self._add("poolCreatedEvent")

    def pool_ready(self, event: Any) -> None:
        self._add("poolReadyEvent")

    def pool_cleared(self, event: Any) -> None:
        self._add("poolClearedEvent", hasServiceId=event.service_id is not None, interruptInUseConnections=bool(event.interrupt_connections))

    def pool_closed(self, event: Any) -> None:
        self._add("poolClosedEvent")

    def connection_created(self, event: Any) -> None:
        self._add("connectionCreatedEvent")

    def connection_ready(self, event: Any) -> None:
        self._add("connectionReadyEvent")

    def connection_closed(self, event: Any) -> None:
        self._add("connectionClosedEvent", reason=event.reason)

    def connection_check_out_started(self, event: Any) -> None:
        self._add("connectionCheckOutStartedEvent")

    def connection_check_out_failed(self, event: Any) -> None:
        self._add("connectionCheckOutFailedEvent", reason=event.reason)

    def connection_checked_out(self, event: Any) -> None:
        self._add("connectionCheckedOutEvent")

    def connection_checked_in(self, event: Any) -> None:
        self._add("connectionCheckedInEvent")

    # Servers and the topology

    def description_changed(self, event: Any) -> None:
        previous, new = event.previous_description, event.new_description
        if isinstance(event, monitoring.TopologyDescriptionChangedEvent):
            self._add(
                "topologyDescriptionChangedEvent",
                previousDescription={"type": previous.topology_type_name},
                newDescription={"type": new.topology_type_name},
            )
        else:
            self._add(
                "serverDescriptionChangedEvent",
                previousDescription={"type": previous.server_type_name},
                newDescription={"type": new.server_type_name},
            )

    def opened(self, event: Any) -> None:
        self._add("topologyOpeningEvent" if isinstance(event, monitoring.TopologyOpenedEvent) else "serverOpeningEvent")

    def closed(self, event: Any) -> None:
        self._add("topologyClosedEvent" if isinstance(event, monitoring.TopologyClosedEvent) else "serverClosedEvent")


class HeartbeatLog(monitoring.ServerHeartbeatListener):
    """Heartbeat events, fed into an EventLog (pymongo's heartbeat listener methods share names
    with the command listener's, so they need an object of their own)."""

    def __init__(self, log: EventLog) -> None:
        self.log = log

    def started(self, event: Any) -> None:
        self.log._add("serverHeartbeatStartedEvent", awaited=bool(event.awaited))

    def succeeded(self, event: Any) -> None:
        self.log._add("serverHeartbeatSucceededEvent", awaited=bool(event.awaited))

    def failed(self, event: Any) -> None:
        self.log._add("serverHeartbeatFailedEvent", awaited=bool(event.awaited))
