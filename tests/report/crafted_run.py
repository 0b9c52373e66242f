"""A crafted run of scenario B as it was: the 2018 failure, as the probes would record it.

The history below is timed against a pinned copy of the scenario (data/), not the shipped
scenarios/ file, so retuning the shipped time scale or restart interval does not move it."""

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

SCENARIO_FILE = Path(__file__).resolve().parent / "data" / "database_router_failure.yaml"
CUT = (3.0, 72.0)  # t+1m for 23m at time scale 0.05
RESTARTS = {"api-1": 81.5, "api-2": 86.5, "api-3": 91.5}  # restart-role api, 5 s apart


def _event(t: float, kind: EventKind, target: str, /, ok: bool = True, latency_ms: float | None = None,
           source: str = "", **data: object) -> Event:
    return Event(t=round(t, 3), kind=kind.name, target=target, ok=ok, latency_ms=latency_ms, source=source,
                 data=dict(data))


def crafted_history() -> History:
    events = [
        _event(CUT[0], FAULT_START, "dbhost-router", links=30, apply_ms=42.0, kind="router-failure"),
        _event(CUT[1], FAULT_END, "dbhost-router", apply_ms=35.0, kind="router-failure"),
        _event(81.0, ACTION_START, "restart-api-in-series", action="restart-role"),
        _event(96.0, ACTION_END, "restart-api-in-series", action="restart-role", error=None),
    ]
    events += [_event(t, NODE_RESTART, node, reason="restart-api-in-series") for node, t in RESTARTS.items()]
    for step in range(0, 220):
        t = step * 0.5
        # The front probe watches the floating IP; the legs probe each API leg.
        for probe, target in (("front", "floating"), ("legs", "api-1"), ("legs", "api-2"), ("legs", "api-3")):
            # The 2018 driver gave up during the cut; each leg is back only once restarted.
            back = min(RESTARTS.values()) if probe == "front" else RESTARTS[target]
            ok = t < CUT[0] or t >= back
            events.append(_event(t, HTTP_REQUEST, target, ok=ok, latency_ms=25.0 if ok else 40.0, source=probe,
                                 path="/api/addresses/probe/messages", status=200 if ok else 503,
                                 timed_out=False, status_link=False, leg=None))  # 2018 error pages: no status link
    for second in range(0, 100):
        accepted = True  # SMTP spools while the database is unreachable
        events.append(_event(second, SMTP_SEND, f"smtp-{second % 5 + 1}", ok=accepted, latency_ms=12.0,
                             source="mail", message_id=f"probe-{second}", code=250, accepted=accepted))
        events.append(_event(115.0, MAIL_STORED, "db", source="mail", message_id=f"probe-{second}", copies=1,
                             final=True))
        events.append(_event(second + 0.2, RS_STATUS, "db", source="rs", primary="mongo-1", term=1,
                             members={"mongo-1": "PRIMARY", "mongo-2": "SECONDARY", "mongo-3": "SECONDARY"}))
    return History(events, start=0.0)


def crafted_record(run_id: str = "20180206-093600-b-as-was") -> RunRecord:
    scenario = load_scenario(SCENARIO_FILE)
    run = resolve(scenario, "as-was")
    history = crafted_history()
    verdicts = check_invariants(run, history)
    meta = RunMeta(run_id=run_id, scenario_file="tests/report/data/database_router_failure.yaml", architecture="as-was",
                   seed=scenario.seed, profile="local-images", database_tier="emulator",
                   time_scale=run.time_scale, started_at="2018-02-06T17:36:00+00:00")
    return RunRecord.of(meta, run, history, verdicts, judge(verdicts, run.expect))
