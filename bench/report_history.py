"""A synthetic run of scenario B as it was, of any length: typed events as the probes write
them (the front and the legs every 0.5 s, mail through five servers with its ledger, the
replica set), the router failure and the restarts in series, judged like a real run.

Only the number of events differs from a real run: the timeline is stretched to hold them,
so a 10^6-event history is a long run, as a scenario replayed at time scale 1 would be.
"""

from __future__ import annotations

from pathlib import Path

from harness.events import ACTION_END, ACTION_START, FAULT_END, FAULT_START, NODE_RESTART, EventKind
from harness.history import Event, History
from harness.invariants import check_invariants
from harness.invariants.expectation import judge
from harness.probes.http import HTTP_REQUEST
from harness.probes.smtp import MAIL_STORED, SMTP_SEND
from harness.report import RunMeta, RunRecord
from harness.scenario import load_scenario, resolve
from systems.mongodb.probe import RS_STATUS

# Events one half-second step writes: front and 3 legs, a send and a count through one of 5
# servers, the replica set's status.
PER_STEP = 7
LEGS = ("api-1", "api-2", "api-3")


def _event(t: float, event_kind: EventKind, target: str, /, ok: bool = True, latency_ms: float | None = None,
           source: str = "", **data: object) -> Event:
    return Event(t=t, kind=event_kind.name, target=target, ok=ok, latency_ms=latency_ms, source=source,
                 data=dict(data))


def synthetic_record(scenario_file: Path, events: int) -> RunRecord:
    steps = max(1, events // PER_STEP)
    end = steps * 0.5
    cut = (end * 0.05, end * 0.8)
    restart_at = end * 0.85
    history = [
        _event(cut[0], FAULT_START, "dbhost-router", links=30, apply_ms=40.0, kind="router-failure"),
        _event(cut[1], FAULT_END, "dbhost-router", apply_ms=35.0, kind="router-failure"),
        _event(restart_at, ACTION_START, "restart-api-in-series", action="restart-role"),
        _event(restart_at + 10, ACTION_END, "restart-api-in-series", action="restart-role", error=None),
    ]
    history += [_event(restart_at + 5 * i, NODE_RESTART, leg, reason="restart-api-in-series")
                for i, leg in enumerate(LEGS)]
    for step in range(steps):
        t = step * 0.5
        down = cut[0] <= t < restart_at + 15
        status = 500 if down else 200
        for source, target in (("front", "floating"), *(("legs", leg) for leg in LEGS)):
            history.append(_event(t, HTTP_REQUEST, target, ok=not down, latency_ms=40.0 if down else 12.0,
                                  source=source, path="/api/addresses/probe/messages", status=status,
                                  timed_out=False, error=None, status_link=False))
        message = f"<probe-{step}@harness.mailstack.test>"
        history.append(_event(t, SMTP_SEND, f"smtp-{step % 5 + 1}", latency_ms=15.0, source="mail",
                              message_id=message, code=250, accepted=True, error=None))
        history.append(_event(t + 0.4, MAIL_STORED, "db", source="mail", message_id=message, copies=1,
                              final=False))
        history.append(_event(t, RS_STATUS, "db", ok=not down, source="rs", primary=None if down else "mongo-1",
                              term=1, members={}))
    scenario = load_scenario(scenario_file)
    run = resolve(scenario, "as-was", time_scale=end / scenario.duration)
    full = History(history, start=0.0)
    verdicts = check_invariants(run, full)
    meta = RunMeta(run_id="synthetic", scenario_file=str(scenario_file), architecture="as-was", seed=1,
                   profile="local", database_tier="emulator (synthetic history)", time_scale=run.time_scale,
                   started_at="2018-02-06T09:36:00+00:00")
    return RunRecord.of(meta, run, full, verdicts, judge(verdicts, run.expect))
