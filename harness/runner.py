"""Run one scenario against one architecture: stack up, timeline played, history judged.

The run's clock starts when the stack is ready (t = 0 is the incident's t+0).
Every timeline entry runs in its own thread, so a slow operator action (a
restart in series) never delays a fault; each records when it really started
and how long applying it took.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import docker

from harness.actions import ActionContext, run_action
from harness.errors import HarnessError
from harness.events import FAULT_END, FAULT_START, LOAD_START
from harness.faults import FaultContext
from harness.history import History
from harness.invariants import check_invariants
from harness.invariants.expectation import interrupted_outcome, judge
from harness.invariants.verdict import Verdict
from harness.loads import LoadContext, RunningLoad
from harness.probes import PeriodicProbe, ProbeContext
from harness.report import RunMeta, RunRecord, rebuild_index, write_run
from harness.runtime.images import ImageSet
from harness.scenario import ResolvedRun, ScheduledEntry
from harness.stack import Stack
from harness.stack.cleanup import Terminated, signals_raise

Say = Callable[[str], None]
DEPENDENCY_CHECK_S = 2.0


@dataclass
class RunResult:
    record: RunRecord
    run_dir: Path

    @property
    def passed(self) -> bool:
        return self.record.outcome.passed


@dataclass
class _Live:
    """The faults in force, for the progress line."""

    faults: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def stack_settings(run: ResolvedRun) -> dict[str, str]:
    """The architecture's settings as the stack reads them (validated with the scenario)."""
    return {key: str(value) for key, value in run.settings.items()}


def run_scenario(
    run: ResolvedRun,
    *,
    scenario_file: str,
    images: ImageSet,
    client: docker.DockerClient,
    reports_dir: Path,
    seed: int,
    say: Say,
    locust_ui: bool = False,
) -> RunResult:
    started_at = datetime.now(UTC)
    run_dir = reports_dir / f"{started_at:%Y%m%d-%H%M%S}-{run.scenario.name}-{run.architecture}"
    stack = stack_for(run, scenario_file, images, client, say)
    with signals_raise(), stack:
        played = play_on(stack, run, run_dir, scenario_file=scenario_file, seed=seed, say=say, locust_ui=locust_ui)
    record = played.record()
    write_reports(run_dir, record, reports_dir)
    if played.interruption is not None:
        raise played.interruption
    return RunResult(record, run_dir)


def stack_for(run: ResolvedRun, scenario_file: str, images: ImageSet, client: docker.DockerClient,
              say: Say) -> Stack:
    """The stack a run plays on (not started)."""
    loads = {item.id: item.entry.load for item in run.schedule if item.entry.load is not None}
    return Stack(run.topology, images, client=client, settings=stack_settings(run), architecture=run.architecture,
                 loads=loads, base_dir=Path(scenario_file).parent, say=say)


@dataclass
class Played:
    """A run played on a stack, not judged yet: what it gathered, and why it stopped early if it did."""

    run: ResolvedRun
    meta: RunMeta
    history: History
    interruption: BaseException | None

    def record(self) -> RunRecord:
        """Judged: every invariant, or, for an interrupted run, every one not judged."""
        run = self.run
        if self.interruption is None:
            verdicts = check_invariants(run, self.history)
            outcome = judge(verdicts, run.expect)
        else:
            reason = f"the run was interrupted ({self.meta.interrupted})"
            verdicts = [Verdict.unjudged(i.id, i.kind, reason) for i in run.scenario.invariants]  # type: ignore[attr-defined]
            outcome = interrupted_outcome(verdicts, run.expect, self.meta.interrupted or "")
        return RunRecord.of(self.meta, run, self.history, verdicts, outcome)


def play_on(stack: Stack, run: ResolvedRun, run_dir: Path, *, scenario_file: str, seed: int, say: Say,
            locust_ui: bool = False) -> Played:
    """Play ``run`` on a started stack; t = 0 is now, the incident's t+0. An interruption (Ctrl-C,
    SIGTERM, a harness error) is kept with what was gathered, for the caller to raise."""
    started_at = datetime.now(UTC)
    history = History()
    interruption: BaseException | None = None
    try:
        _play(run, stack, history, _LoadPlan(seed, run_dir / "load", locust_ui, say), say)
    except BaseException as err:  # noqa: BLE001 - kept, written down, and raised again by the caller
        interruption = err
        say(f"the run stopped at t={history.now():.1f} s ({_reason(err)}); writing what it gathered")
    finally:
        _save_logs(stack, run_dir / "logs", say)
    meta = RunMeta(
        run_id=stack.run_id,
        scenario_file=scenario_file,
        architecture=run.architecture,
        seed=seed,
        profile=stack.images.profile.value,
        database_tier=stack.notes.get("database tier", "no database in this topology"),
        notes={key: value for key, value in stack.notes.items() if key != "database tier"},
        time_scale=run.time_scale,
        started_at=started_at.isoformat(timespec="seconds"),
        interrupted=None if interruption is None else f"at t={history.now():.1f} s: {_reason(interruption)}",
    )
    return Played(run, meta, history, interruption)


def _reason(err: BaseException) -> str:
    if isinstance(err, Terminated):
        return "SIGTERM"
    if isinstance(err, KeyboardInterrupt):
        return "Ctrl-C"
    return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}".rstrip(": ")


def _save_logs(stack: Stack, folder: Path, say: Say) -> None:
    try:
        stack.save_logs(folder)
    except (OSError, HarnessError) as err:
        say(f"could not save the nodes' logs in {folder}: {err}")


def write_reports(run_dir: Path, record: RunRecord, reports_dir: Path) -> None:
    try:
        write_run(run_dir, record)
        rebuild_index(reports_dir)
    except OSError as err:
        raise HarnessError(f"cannot write the run's reports in {run_dir}: {err.strerror or err}",
                           "make the reports folder writable, or pass --reports DIR") from None


@dataclass
class _LoadPlan:
    """Where and how load entries start, and the loads running."""

    seed: int
    out_dir: Path
    web_ui: bool
    say: Say
    running: dict[str, RunningLoad] = field(default_factory=dict)

    def addresses(self, load_id: str) -> list[str]:
        if load_id not in self.running:
            raise HarnessError(f"load '{load_id}' is not running, so its addresses are unknown",
                               "schedule what needs them after the load starts")
        return self.running[load_id].addresses

    def stop_all(self) -> None:
        for load in self.running.values():
            load.stop()


def _play(run: ResolvedRun, stack: Stack, history: History, loads: _LoadPlan, say: Say) -> None:
    context = ProbeContext(stack, history, run)
    probes = [probe for spec in run.scenario.probes for probe in spec.start(context)]  # type: ignore[attr-defined]
    try:
        _play_timeline(probes, run, stack, history, loads, say)
        for probe in probes:
            if (line := probe.finish()) is not None:
                say(line)
    finally:
        for probe in probes:
            probe.close()


def _play_timeline(probes: list[PeriodicProbe], run: ResolvedRun, stack: Stack, history: History,
                   loads: _LoadPlan, say: Say) -> None:
    live = _Live()
    blocked: set[str] = set()
    actions = ActionContext(stack, history, loads.addresses, blocked)
    for probe in probes:
        probe.start()
    threads = [
        threading.Thread(target=_play_entry, args=(run, item, stack, history, actions, live, loads),
                         name=f"entry-{item.id}", daemon=True)
        for item in run.schedule
    ]
    try:
        for thread in threads:
            thread.start()
        _wait_with_progress(run, stack, history, live, say)
        # New work stops with the timeline; the grace is for what was already accepted.
        for probe in probes:
            if probe.stops_with_timeline:
                probe.stop()
        for thread in threads:
            thread.join(timeout=120)
        say(f"timeline done; grace {run.grace_s:.0f} s for what was accepted to land")
        _sleep_until(history, run.run_end_s)
    except BaseException:
        _wind_down(probes, stack, loads, say)
        raise
    if failures := _wind_down(probes, stack, loads, say):
        raise failures[0]


def _wind_down(probes: list[PeriodicProbe], stack: Stack, loads: _LoadPlan, say: Say) -> list[Exception]:
    """Stop every load and probe and heal every link, whatever fails on the way (a crashed
    probe must not leave the others running or a link cut); returns what failed."""
    steps: list[Callable[[], object]] = [loads.stop_all, *(probe.stop for probe in probes)]
    if stack.fabric is not None:
        steps.append(stack.fabric.heal_all)
    failures: list[Exception] = []
    for step in steps:
        try:
            step()
        except Exception as err:  # noqa: BLE001 - every step runs; the first failure is raised after
            say(f"while winding the run down: {err}")
            failures.append(err)
    return failures


def _play_entry(run: ResolvedRun, item: ScheduledEntry, stack: Stack, history: History,
                actions: ActionContext, live: _Live, loads: _LoadPlan) -> None:
    entry = item.entry
    _sleep_until(history, item.start_s)
    if entry.action is not None:
        run_action(entry.action, item.id, actions)
    elif entry.load is not None:
        _play_load(run, item, stack, history, loads)
    else:
        _play_fault(item, stack, history, actions.blocked_actions, live)


def _play_load(run: ResolvedRun, item: ScheduledEntry, stack: Stack, history: History,
               loads: _LoadPlan) -> None:
    stop_s = run.timeline_end_s if item.stop_s is None else item.stop_s
    context = LoadContext(stack, history, item.id, loads.seed, loads.out_dir / item.id,
                          duration_s=stop_s - history.now(), time_scale=run.time_scale, web_ui=loads.web_ui,
                          say=loads.say)
    try:
        running = item.entry.load.start(context)  # type: ignore[union-attr]
    except Exception as err:  # noqa: BLE001 - a load that cannot start is recorded, not fatal
        history.record(LOAD_START, item.id, False, error=f"{type(err).__name__}: {err}")
        return
    loads.running[item.id] = running
    _sleep_until(history, stop_s)
    running.stop()


def _play_fault(item: ScheduledEntry, stack: Stack, history: History, blocked: set[str],
                live: _Live) -> None:
    entry = item.entry
    try:
        applied = entry.fault.apply(FaultContext(stack, item.id, blocked))  # type: ignore[union-attr]
    except Exception as err:  # noqa: BLE001 - a fault that cannot apply is recorded, not fatal
        history.record(FAULT_START, item.id, False, kind=entry.what, error=f"{err}")
        return
    history.record(FAULT_START, item.id, True, kind=entry.what, links=applied.links,
                   apply_ms=applied.apply_ms, scheduled_s=item.start_s)
    with live.lock:
        live.faults.add(item.id)
    if item.stop_s is None:
        return
    _sleep_until(history, item.stop_s)
    revert_ms = applied.revert()
    history.record(FAULT_END, item.id, True, kind=entry.what, apply_ms=revert_ms, scheduled_s=item.stop_s)
    with live.lock:
        live.faults.discard(item.id)


def _sleep_until(history: History, t: float) -> None:
    while (remaining := t - history.now()) > 0:
        time.sleep(min(remaining, 0.5))


def _wait_with_progress(run: ResolvedRun, stack: Stack, history: History, live: _Live, say: Say) -> None:
    """One progress line every few seconds until the timeline ends; the run's own dependencies
    (engine, Toxiproxy, nodes) checked every two: a run without them would judge nonsense."""
    next_line = next_check = 0.0
    while history.now() < run.timeline_end_s:
        now = history.now()
        if now >= next_check:
            stack.check_dependencies()
            next_check = now + DEPENDENCY_CHECK_S
        if now >= next_line:
            say(_progress_line(run, history, live, now))
            next_line = now + 5
        time.sleep(0.25)


def _progress_line(run: ResolvedRun, history: History, live: _Live, now: float) -> str:
    """Each probe's success over the last five seconds, and the faults in force."""
    recent: dict[str, list[bool]] = {}
    for event in history.events():
        if event.t > now - 5 and event.source in run.scenario.probe_ids:
            recent.setdefault(event.source, []).append(event.ok)
    probes = " ".join(f"{p}:{100 * sum(oks) / len(oks):.0f}%" for p, oks in sorted(recent.items()))
    with live.lock:
        faults = ", ".join(sorted(live.faults)) or "none"
    incident = run.incident_time(now)
    return f"t={now:5.1f} s (incident t+{incident / 60:4.1f}m)  faults: {faults}  ok(5s): {probes or '-'}"
