"""The history: every operation a run observes, as timestamped events.

The history is the single source of truth (after Jepsen): probes, load, faults
and operator actions append to it; invariants and reports only read it. Each
event's kind is an ``EventKind`` declared once, next to the code that writes
it (harness.events has the catalogue).

``t`` is seconds since the run started (scaled clock = wall clock: the time
scale shortens the timeline, it does not change how time is measured).
``ok`` says whether the operation succeeded from its observer's point of view.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from time import monotonic
from typing import Any

from harness.events import EventKind


@dataclass(frozen=True, slots=True)
class Event:
    t: float
    kind: str
    target: str
    ok: bool
    latency_ms: float | None = None
    source: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Event:
        return cls(**raw)


class History:
    """An append-only, thread-safe list of events with a shared clock."""

    def __init__(self, events: Iterable[Event] = (), start: float | None = None) -> None:
        self._events: list[Event] = list(events)
        self._lock = threading.Lock()
        self.start = monotonic() if start is None else start
        # Time-ordered views, rebuilt only after new events: judging and reporting a history
        # of a million events read it by kind dozens of times.
        self._ordered: list[Event] | None = None
        self._by_kind: dict[str, list[Event]] = {}

    def now(self) -> float:
        return monotonic() - self.start

    def record(
        self,
        kind: EventKind,
        target: str,
        ok: bool,
        /,
        *,
        latency_ms: float | None = None,
        source: str = "",
        t: float | None = None,
        **data: Any,
    ) -> Event:
        event = Event(
            t=self.now() if t is None else t,
            kind=kind.name,
            target=target,
            ok=ok,
            latency_ms=latency_ms,
            source=source,
            data=data,
        )
        with self._lock:
            self._events.append(event)
            self._ordered = None
            self._by_kind = {}
        return event

    def events(self, kind: EventKind | None = None, target: str | None = None) -> list[Event]:
        """Events (of ``kind``, for ``target``) in time order; a fresh list the caller may keep."""
        with self._lock:
            if self._ordered is None:
                self._ordered = sorted(self._events, key=lambda e: e.t)
            if kind is None:
                selected = self._ordered
            else:
                if kind.name not in self._by_kind:
                    self._by_kind[kind.name] = [e for e in self._ordered if e.kind == kind.name]
                selected = self._by_kind[kind.name]
        return [e for e in selected if e.target == target] if target is not None else list(selected)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events())

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def dump_jsonl(self, path: Path) -> None:
        with path.open("w", encoding="utf-8") as out:
            for event in self.events():
                out.write(json.dumps(event.to_json(), default=str) + "\n")

    @classmethod
    def load_jsonl(cls, path: Path) -> History:
        with path.open(encoding="utf-8") as src:
            return cls(Event.from_json(json.loads(line)) for line in src if line.strip())
