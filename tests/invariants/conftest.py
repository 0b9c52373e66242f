"""A small scenario at time scale 1 and a builder for crafted histories.

The builder writes events as the probes do: typed kinds, with the probe's id as the
event's source. ``requests("front", ...)`` is the front probe's view of the floating IP;
``requests("legs/api-1", ...)`` is the legs probe's view of api-1 (the same ``probe/node``
form an invariant's target takes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.events import ACTION_END, ACTION_START, FAULT_END, FAULT_START, EventKind
from harness.history import Event, History
from harness.invariants import JudgeContext
from harness.probes.http import HTTP_REQUEST
from harness.scenario import Scenario, parse_scenario, resolve

SCENARIO = """
name: crafted
seed: 1
time_scale: 1
duration: 1m30s
grace: 10s
topology:
  providers: {east: {}, west: {}, dbhost: {}}
  nodes:
    - {name: proxy-1, role: proxy, provider: east}
    - {name: api-1, role: api, provider: east}
    - {name: api-2, role: api, provider: west}
    - {name: smtp-1, role: smtp, provider: east}
    - {name: smtp-2, role: smtp, provider: west}
    - {name: mongo-1, role: mongo, provider: dbhost}
    - {name: mongo-2, role: mongo, provider: east}
    - {name: mongo-3, role: arbiter, provider: west}
architectures:
  as-was: {expect: {broken: [front-up]}}
  as-fixed: {expect: {broken: []}}
timeline:
  - id: flood
    at: t+0s
    for: 50s
    load: {kind: flood, targets: ["role:smtp"], domain: mailstack.test, attackers: 4, total: 1000, rate: 20}
  - {id: move, at: t+5s, action: {kind: move-floating-ip, to: proxy-1}}
  - {id: cut, at: t+10s, for: 20s, fault: {kind: router-failure, provider: dbhost}}
  - {id: block, at: t+40s, action: {kind: block-ips, ips: [203.0.113.1]}}
  - {id: restart-api, at: t+40s, action: {kind: restart-role, role: api}}
probes:
  - {id: mail, kind: mail_delivery, every: 1s}
  - {id: front, kind: mail_api, targets: [floating], every: 1s, timeout: 3s}
  - {id: legs, kind: mail_api, targets: ["role:api"], every: 1s, timeout: 3s}
  - {id: rs, kind: mongo, every: 1s}
invariants:
  - {id: front-up, kind: availability, target: front, min: 0.9, phase: during:cut}
"""
# The event target each probe's requests carry when the builder is given only the probe.
FLOATING = "floating"


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    return parse_scenario(SCENARIO, "crafted.yaml")


class HistoryBuilder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, t: float, kind: EventKind, target: str, /, ok: bool = True, latency_ms: float | None = None,
            source: str = "", **data: Any) -> HistoryBuilder:
        self.events.append(Event(t=t, kind=kind.name, target=target, ok=ok, latency_ms=latency_ms,
                                 source=source, data=data))
        return self

    def fault(self, fault_id: str, start: float, end: float | None) -> HistoryBuilder:
        self.add(start, FAULT_START, fault_id, kind="router-failure", links=4, apply_ms=5.0)
        if end is not None:
            self.add(end, FAULT_END, fault_id, kind="router-failure", apply_ms=5.0)
        return self

    def action(self, action_id: str, start: float, end: float | None, error: str | None = None) -> HistoryBuilder:
        self.add(start, ACTION_START, action_id, action=action_id)
        if end is not None:
            self.add(end, ACTION_END, action_id, ok=error is None, action=action_id, error=error)
        return self

    def request(self, t: float, watched: str, /, ok: bool = True, latency_ms: float | None = 20.0,
                status: int | None = None, **data: Any) -> HistoryBuilder:
        """One http.request of ``watched`` ("probe", or "probe/node")."""
        probe, _, node = watched.partition("/")
        data.setdefault("timed_out", False)
        data.setdefault("status_link", not ok)
        return self.add(t, HTTP_REQUEST, node or FLOATING, ok=ok, latency_ms=latency_ms, source=probe,
                        path="/api/health", status=status if status is not None else (200 if ok else 503),
                        **data)

    def requests(self, watched: str, start: float, end: float, ok: Callable[[float], bool] = lambda t: True,
                 latency: Callable[[float], float] = lambda t: 20.0) -> HistoryBuilder:
        """One request a second in [start, end); failures are 503s with a status link."""
        t = start
        while t < end:
            self.request(t, watched, ok=ok(t), latency_ms=latency(t))
            t += 1.0
        return self

    def build(self) -> History:
        return History(self.events, start=0.0)


@pytest.fixture
def history() -> HistoryBuilder:
    return HistoryBuilder()


@pytest.fixture
def judge_with(scenario: Scenario) -> Callable[[HistoryBuilder], JudgeContext]:
    def make(builder: HistoryBuilder) -> JudgeContext:
        return JudgeContext(resolve(scenario, "as-was"), builder.build())

    return make
