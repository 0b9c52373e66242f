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
from harness.faults import apply_fault
from harness.history import History
from harness.invariants import check_invariants, judge
from harness.load.flood import FloodHandle, FloodRunner
from harness.probes.api import ApiProbe
from harness.probes.base import PeriodicProbe
from harness.probes.mail_ledger import MailLedgerProbe
from harness.probes.replica_set import ReplicaSetProbe
from harness.probes.smtp_delivery import SmtpDeliveryProbe
from harness.report import RunMeta, RunRecord, rebuild_index, write_run
from harness.runtime.images import ImageSet
from harness.scenario import ResolvedRun, ScheduledEntry
from harness.scenario.probes import FRONT, LEGS
from harness.scenario.timeline import Flood
from harness.stack import Stack
from harness.stack.cleanup import signals_raise
from harness.stack.database import members
from harness.stack.mail_roles import API_KEY, FRONT_PORT, MAIL_DOMAIN, STATUS_PAGE_URL
from harness.topology import Role

LEDGER_EVERY_S = 2.0
PROBE_INBOX = f"/api/addresses/probe@{MAIL_DOMAIN}/messages"
SERVICE_ARCHITECTURES = ("as-was", "as-fixed")
# Settings that shape the replica set rather than the services' environment.
REPLICA_SET_SETTINGS = ("heartbeat_ms", "election_timeout_ms")

Say = Callable[[str], None]


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
    """Services' environment (ARCH and the architecture's upper-case settings) and
    the replica set's timings."""
    settings: dict[str, str] = {}
    if run.architecture in SERVICE_ARCHITECTURES:
        settings["ARCH"] = run.architecture
    elif "ARCH" not in run.settings:
        raise HarnessError(
            f"architecture '{run.architecture}' of scenario '{run.scenario.name}' does not say "
            "how the services are built",
            f"add settings: {{ARCH: as-was}} or {{ARCH: as-fixed}} under architectures.{run.architecture}",
        )
    unknown = sorted(k for k in run.settings if not k.isupper() and k not in REPLICA_SET_SETTINGS)
    if unknown:
        raise HarnessError(
            f"architecture '{run.architecture}' of scenario '{run.scenario.name}' has settings "
            f"the harness does not know: {', '.join(unknown)}",
            "services' environment variables are UPPER_CASE (e.g. DRIVER_RECONNECT_TRIES); "
            f"the replica set takes {', '.join(REPLICA_SET_SETTINGS)}",
        )
    return {**settings, **{key: str(value) for key, value in run.settings.items()}}


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
    with signals_raise(), Stack(run.topology, images, client=client, settings=stack_settings(run),
                                say=say) as stack:
        history = History()
        try:
            _play(run, stack, history, _LoadPlan(seed, run_dir / "load", locust_ui, say), say)
        finally:
            stack.save_logs(run_dir / "logs")
        meta = RunMeta(
            run_id=stack.run_id,
            scenario_file=scenario_file,
            architecture=run.architecture,
            seed=seed,
            profile=images.profile.value,
            database_tier=stack.database_tier or images.database_tier,
            time_scale=run.time_scale,
            started_at=started_at.isoformat(timespec="seconds"),
        )
    verdicts = check_invariants(run, history)
    outcome = judge(verdicts, run.expect)
    record = RunRecord.of(meta, run, history, verdicts, outcome)
    write_run(run_dir, record)
    rebuild_index(reports_dir)
    return RunResult(record, run_dir)


@dataclass
class _LoadPlan:
    """Where and how load entries start, and the handles of those running."""

    seed: int
    out_dir: Path
    web_ui: bool
    say: Say
    running: dict[str, FloodHandle] = field(default_factory=dict)

    def attacker_ips(self, load_id: str) -> list[str]:
        if load_id not in self.running:
            raise HarnessError(f"load '{load_id}' is not running, so its attackers are unknown",
                               "schedule the block after the flood starts")
        return self.running[load_id].attacker_ips

    def stop_all(self) -> None:
        for handle in self.running.values():
            handle.stop()


def _play(run: ResolvedRun, stack: Stack, history: History, loads: _LoadPlan, say: Say) -> None:
    probes, ledger = _probes(run, stack, history)
    try:
        _play_timeline(probes, run, stack, history, loads, say)
        if ledger:
            missing = ledger.reconcile()
            say("mail ledger: no primary answered, so stored mail cannot be counted" if missing is None
                else f"mail ledger: {missing} accepted message(s) missing from the database")
    finally:
        for probe in probes:
            probe.close()


def _play_timeline(probes: list[PeriodicProbe], run: ResolvedRun, stack: Stack, history: History,
                   loads: _LoadPlan, say: Say) -> None:
    live = _Live()
    blocked: set[str] = set()
    actions = ActionContext(stack, history, API_KEY, front_url=lambda: _front_url(stack),
                            attacker_ips=loads.attacker_ips, blocked_actions=blocked)
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
        _wait_with_progress(run, history, live, say)
        # New probe mail stops with the timeline; the grace is for what was accepted.
        for probe in probes:
            if isinstance(probe, SmtpDeliveryProbe):
                probe.stop()
        for thread in threads:
            thread.join(timeout=120)
        say(f"timeline done; grace {run.grace_s:.0f} s for spooled mail to drain")
        _sleep_until(history, run.run_end_s)
    finally:
        loads.stop_all()
        for probe in probes:
            probe.stop()
        if stack.fabric is not None:
            stack.fabric.heal_all()


def _probes(run: ResolvedRun, stack: Stack, history: History) -> tuple[list[PeriodicProbe], MailLedgerProbe | None]:
    spec = run.scenario.probes
    topology = stack.topology
    probes: list[PeriodicProbe] = []
    member_addresses = {n.name: (stack.access(n.name).address, n.port) for n in members(topology)}
    ledger = None
    if spec.smtp_delivery:
        servers = {n.name: (stack.address(n.name), n.port) for n in topology.by_role(Role.SMTP)}
        probes.append(SmtpDeliveryProbe(history, spec.smtp_delivery.every, servers, MAIL_DOMAIN))
        if member_addresses:
            ledger = MailLedgerProbe(history, LEDGER_EVERY_S, member_addresses)
            probes.append(ledger)
    if spec.api:
        for target in spec.api.targets:
            legs = [n.name for n in topology.by_role(Role.API)] if target == LEGS else [target]
            for name in legs:
                base = _front_url(stack) if name == FRONT else \
                    f"http://{stack.address(name)}:{topology.port_of(name)}"
                probes.append(ApiProbe(history, spec.api.every, name, base, PROBE_INBOX,
                                       spec.api.timeout, STATUS_PAGE_URL))
    if spec.replica_set and member_addresses:
        probes.append(ReplicaSetProbe(history, spec.replica_set.every, member_addresses))
    return probes, ledger


def _front_url(stack: Stack) -> str:
    """The API front as users reach it: the floating IP, on the public front port."""
    return f"http://{stack.floating_ip}:{FRONT_PORT}"


def _play_entry(run: ResolvedRun, item: ScheduledEntry, stack: Stack, history: History,
                actions: ActionContext, live: _Live, loads: _LoadPlan) -> None:
    entry = item.entry
    _sleep_until(history, item.start_s)
    if entry.action is not None:
        run_action(entry.action, item.id, actions)
    elif entry.load is not None:
        _play_load(run, item, stack, history, loads)
    elif entry.fault is not None:
        _play_fault(item, stack, history, actions.blocked_actions, live)


def _play_load(run: ResolvedRun, item: ScheduledEntry, stack: Stack, history: History,
               loads: _LoadPlan) -> None:
    spec = item.entry.load
    if not isinstance(spec, Flood):
        history.record("load.start", item.id, False, error=f"load kind '{spec.kind}' is not supported")
        return
    stop_s = run.timeline_end_s if item.stop_s is None else item.stop_s
    try:
        handle = FloodRunner(web_ui=loads.web_ui, connections=spec.connections, say=loads.say).start(
            stack, spec, history, loads.seed, loads.out_dir / item.id, load_id=item.id,
            duration_s=stop_s - history.now(), time_scale=run.time_scale)
    except Exception as err:  # noqa: BLE001 - a load that cannot start is recorded, not fatal
        history.record("load.start", item.id, False, error=f"{type(err).__name__}: {err}")
        return
    loads.running[item.id] = handle
    _sleep_until(history, stop_s)
    handle.stop()


def _play_fault(item: ScheduledEntry, stack: Stack, history: History, blocked: set[str],
                live: _Live) -> None:
    entry = item.entry
    assert entry.fault is not None
    try:
        applied = apply_fault(entry.fault, item.id, stack, blocked)
    except Exception as err:  # noqa: BLE001 - a fault that cannot apply is recorded, not fatal
        history.record("fault.start", item.id, False, kind=entry.what, error=f"{err}")
        return
    history.record("fault.start", item.id, True, kind=entry.what, links=applied.links,
                   apply_ms=applied.apply_ms, scheduled_s=item.start_s)
    with live.lock:
        live.faults.add(item.id)
    if item.stop_s is None:
        return
    _sleep_until(history, item.stop_s)
    revert_ms = applied.revert()
    history.record("fault.end", item.id, True, kind=entry.what, apply_ms=revert_ms,
                   scheduled_s=item.stop_s)
    with live.lock:
        live.faults.discard(item.id)


def _sleep_until(history: History, t: float) -> None:
    while (remaining := t - history.now()) > 0:
        time.sleep(min(remaining, 0.5))


def _wait_with_progress(run: ResolvedRun, history: History, live: _Live, say: Say) -> None:
    """One progress line every few seconds until the timeline ends."""
    next_line = 0.0
    while history.now() < run.timeline_end_s:
        now = history.now()
        if now >= next_line:
            say(_progress_line(run, history, live, now))
            next_line = now + 5
        time.sleep(0.25)


def _progress_line(run: ResolvedRun, history: History, live: _Live, now: float) -> str:
    recent = [e for e in history.events("api.request") if e.t > now - 5]
    by_target: dict[str, list[bool]] = {}
    for event in recent:
        by_target.setdefault(event.target, []).append(event.ok)
    api = " ".join(f"{t}:{100 * sum(oks) / len(oks):.0f}%" for t, oks in sorted(by_target.items()))
    sends = history.events("smtp.send")
    stored = {e.data["message_id"] for e in history.events("mail.stored")}
    primary = next((e.data.get("primary") for e in reversed(history.events("rs.status"))), None)
    with live.lock:
        faults = ", ".join(sorted(live.faults)) or "none"
    incident = run.incident_time(now)
    return (f"t={now:5.1f} s (incident t+{incident / 60:4.1f}m)  faults: {faults}  "
            f"api(5s): {api or '-'}  mail: {sum(e.ok for e in sends)}/{len(sends)} accepted, "
            f"{len(stored)} stored  primary: {primary or '-'}")

