"""The flood replay: attackers on their own addresses, legitimate senders beside them, all in the history.

    handle = FloodRunner().start(stack, spec, history, seed, out_dir, load_id="flood", duration_s=72)
    handle.attacker_ips      # what the operator blocks
    handle.stop()            # idempotent; also when the flood ended by itself

Layout: one Locust master per kind of traffic runs on the host (``flood``:
``SmtpFloodUser`` on one worker container per attacker; ``legit``:
``LegitSenderUser`` on one more container). Workers reach their master at the
host's address on the public network and the SMTP servers directly, so the
servers see each container's own address. Workers on other machines may join
the flood master (``remote_workers``); each takes a share like an attacker.
Everything lands in ``out_dir``: Locust's CSV files with history, the
masters' logs and record files, and ``<load id>-summary.json``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.events import LOAD_END, LOAD_START
from harness.history import History
from harness.load.containers import LoadContainer, public_gateway, start_load_container
from harness.load.ledger import FLOOD, LEGIT, LoadLedger
from harness.load.master import WORKERS_WAIT_S, LocustMaster, MasterSpec
from harness.load.plan import Target
from harness.load.settings import FloodSettings, settle
from harness.load.tail import RecordTail
from harness.load.targets import check_targets, node_targets
from harness.stack import Stack

if TYPE_CHECKING:
    from harness.loads.flood import Flood

Say = Callable[[str], None]
ATTACKER_ROLE, LEGIT_ROLE = "flood-attacker", "flood-legit"
# How long start() waits for the masters to see their workers and begin.
START_TIMEOUT_S = WORKERS_WAIT_S + 30
# Containers outlive the flood's duration by at most this, even if nobody stops them.
CONTAINER_GRACE_S = WORKERS_WAIT_S + 60
LEGIT_CONNECTIONS = 1


class FloodRunner:
    """Starts floods against a stack.

    ``web_ui``: serve the flood master's Locust UI on 127.0.0.1 (its URL goes to ``say``).
    ``targets``: default the stack's SMTP servers; anything else must be a null sink of the run.
    ``connections``: per attacker and server (default: sized from the rate).
    ``sample_fraction``: of attacker attempts recorded as flood.attempt (default: ~20 a second).
    ``remote_workers``, ``master_bind``, ``master_port``: scale out with Locust workers on other
    machines; the master listens there and waits for them, each taking a share of the flood.
    """

    def __init__(self, *, web_ui: bool = False, targets: list[Target] | None = None,
                 connections: int | None = None, sample_fraction: float | None = None,
                 remote_workers: int = 0, master_bind: str | None = None, master_port: int | None = None,
                 say: Say = lambda _: None) -> None:
        self.web_ui = web_ui
        self.targets = targets
        self.connections = connections
        self.sample_fraction = sample_fraction
        self.remote_workers = remote_workers
        self.master_bind = master_bind
        self.master_port = master_port
        self.say = say

    def start(self, stack: Stack, spec: Flood, history: History, seed: int, out_dir: Path, *,
              load_id: str = "flood", duration_s: float, time_scale: float = 1.0) -> FloodHandle:
        targets = self.targets if self.targets is not None else node_targets(stack, spec.targets)
        check_targets(stack, targets, spec.targets)
        settings = settle(spec, duration_s=duration_s, time_scale=time_scale, connections=self.connections,
                          sample_fraction=self.sample_fraction, targets=len(targets),
                          remote_workers=self.remote_workers)
        out_dir.mkdir(parents=True, exist_ok=True)
        handle = FloodHandle(stack, settings, targets, history, out_dir, load_id, spec.domain, say=self.say)
        try:
            handle.launch(seed, web_ui=self.web_ui, bind_host=self.master_bind, port=self.master_port)
        except BaseException:
            handle.stop()
            raise
        return handle


class FloodHandle:
    def __init__(self, stack: Stack, settings: FloodSettings, targets: list[Target], history: History,
                 out_dir: Path, load_id: str, domain: str, *, say: Say) -> None:
        self.stack = stack
        self.settings = settings
        self.targets = targets
        self.history = history
        self.out_dir = out_dir
        self.load_id = load_id
        self.domain = domain
        self.say = say
        self.ledger = LoadLedger(history, load_id)
        self.attackers: list[LoadContainer] = []
        self.legit_senders: list[LoadContainer] = []
        self._masters: dict[str, LocustMaster] = {}
        self._tail: RecordTail | None = None
        self._stop_lock = threading.Lock()
        self._stopped = threading.Event()
        self._started = False

    # What callers read.

    @property
    def attacker_ips(self) -> list[str]:
        """The attackers' source addresses: the containers', then any remote worker's as reported."""
        local = [c.address for c in self.attackers]
        return local + sorted(set(self.ledger.by_address(FLOOD)) - set(local))

    @property
    def addresses(self) -> list[str]:
        """What an operator blocks: the attackers' addresses."""
        return self.attacker_ips

    @property
    def legit_ips(self) -> list[str]:
        return [c.address for c in self.legit_senders]

    @property
    def ui_url(self) -> str | None:
        master = self._masters.get(FLOOD)
        return master.ui_url if master else None

    @property
    def finished(self) -> bool:
        """Every attacker spent its share (count or duration), or the flood was stopped."""
        return self._stopped.is_set() or self.ledger.finished(FLOOD)

    def __enter__(self) -> FloodHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait(self, timeout_s: float) -> bool:
        """Wait until the flood has ended (and its handle stopped); True if it did in time."""
        return self._stopped.wait(timeout_s)

    def counts_by_address(self) -> dict[str, dict[str, int]]:
        """Cumulative attempts per outcome, as Locust's workers counted them, by source address."""
        return {**self.ledger.by_address(FLOOD), **self.ledger.by_address(LEGIT)}

    # Lifecycle.

    def launch(self, seed: int, *, web_ui: bool, bind_host: str | None = None, port: int | None = None) -> None:
        gateway = public_gateway(self.stack)
        settings = self.settings
        common = ["--smtp-targets", ",".join(map(str, self.targets)), "--smtp-seconds", f"{settings.duration_s:g}",
                  "--mail-domain", self.domain, "--seed", str(seed)]
        backstop = settings.duration_s + WORKERS_WAIT_S + 30
        flood = LocustMaster(MasterSpec(
            FLOOD, "SmtpFloodUser", settings.workers,
            users=settings.workers * len(self.targets) * settings.connections, run_time_s=backstop,
            options=[*common, "--smtp-rate", f"{settings.rate:g}", "--smtp-total", str(settings.total),
                     "--smtp-ramp", f"{settings.ramp_s:g}", "--sample", f"{settings.sample_fraction:g}"],
            web_ui=web_ui), gateway, self.out_dir, bind_host=bind_host, port=port)
        self._masters[FLOOD] = flood
        if settings.legit_rate > 0:
            self._masters[LEGIT] = LocustMaster(MasterSpec(
                LEGIT, "LegitSenderUser", 1, users=len(self.targets) * LEGIT_CONNECTIONS, run_time_s=backstop,
                options=[*common, "--smtp-rate", f"{settings.legit_rate:g}",
                         "--smtp-total", str(settings.legit_total)]), gateway, self.out_dir)
        for master in self._masters.values():
            master.start()
        if settings.remote_workers:
            self.say(f"flood '{self.load_id}' waits for {settings.remote_workers} remote worker(s): on each, run "
                     f"`locust -f harness/load/locustfile.py --worker --master-host <this host> "
                     f"--master-port {flood.port}` (master listening on {flood.bind_host}:{flood.port})")
        self._tail = RecordTail({source: m.records for source, m in self._masters.items()}, self.ledger)
        self._tail.start()
        self._start_workers()
        self._await_start()
        self._started = True
        self.history.record(
            LOAD_START, self.load_id, True, source=self.load_id, t=self.ledger.started_at(FLOOD),
            attackers=self.attacker_ips, rate=settings.rate, total=settings.total, ramp_s=settings.ramp_s,
            duration_s=settings.duration_s, legit_rate=settings.legit_rate, legit_ips=self.legit_ips,
            sample_fraction=settings.sample_fraction, targets=[str(t) for t in self.targets],
            connections=settings.connections, out_dir=str(self.out_dir), web_ui=self.ui_url)
        if self.ui_url:
            self.say(f"Locust web UI for '{self.load_id}': {self.ui_url}")
        threading.Thread(target=self._stop_when_spent, name=f"load-{self.load_id}-end", daemon=True).start()

    def stop(self) -> None:
        """End the flood (if it still runs), record load.end, remove its containers. Idempotent."""
        with self._stop_lock:
            if self._stopped.is_set():
                return
            try:
                self._stop_masters_and_record()
            finally:
                for container in [*self.attackers, *self.legit_senders]:
                    container.remove()
                self._stopped.set()

    # Steps.

    def _start_workers(self) -> None:
        lifetime = ["timeout", f"{self.settings.duration_s + CONTAINER_GRACE_S:.0f}"]
        plan = [(f"{self.load_id}-attacker-{n + 1}", ATTACKER_ROLE, self._masters[FLOOD])
                for n in range(self.settings.attackers)]
        if LEGIT in self._masters:
            plan.append((f"{self.load_id}-legit-1", LEGIT_ROLE, self._masters[LEGIT]))
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="load-start") as pool:
            started = list(pool.map(
                lambda item: start_load_container(self.stack, item[0], item[1],
                                                  [*lifetime, *item[2].worker_command()]), plan))
        self.attackers = [c for c, item in zip(started, plan) if item[1] == ATTACKER_ROLE]
        self.legit_senders = [c for c, item in zip(started, plan) if item[1] == LEGIT_ROLE]

    def _await_start(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not all(self.ledger.started_at(source) is not None for source in self._masters):
            dead = [name for name, master in self._masters.items() if not master.running()]
            if dead or time.monotonic() > deadline:
                why = f"the {dead[0]} master exited" if dead else f"no start within {START_TIMEOUT_S} s"
                master = self._masters[dead[0] if dead else FLOOD]
                workers = [*self.attackers, *self.legit_senders][:1]
                remote = (f"start the {self.settings.remote_workers} remote worker(s) first (they retry for "
                          "minutes), with --master-port; " if self.settings.remote_workers else "")
                raise HarnessError(
                    f"flood '{self.load_id}' did not start: {why}.\n--- master log:\n{master.log_tail()}"
                    + "".join(f"\n--- {worker.name}:\n{worker.logs()}" for worker in workers),
                    f"{remote}check that containers on the public network reach the host "
                    f"(firewall on the bridge?); the logs are in {self.out_dir}")
            time.sleep(0.2)

    def _stop_when_spent(self) -> None:
        flood = self._masters[FLOOD]
        while not self._stopped.is_set():
            if flood.wait(0.5) or self.ledger.finished(FLOOD):
                self.stop()
                return

    def _stop_masters_and_record(self) -> None:
        flood = self._masters.get(FLOOD)
        ended_by_itself = flood is not None and not flood.running()
        for master in self._masters.values():
            master.stop()
        if self._tail is not None:
            self._tail.stop()
        if not self._started or flood is None:
            return
        spent = self.ledger.finished(FLOOD)
        # A master that quit before every attacker spent its share lost its workers or hit its
        # run-time bound: the flood fell short, and its log says why.
        reason = "spent" if spent else "ended early" if ended_by_itself else "stopped"
        error = None if spent or not ended_by_itself else flood.log_tail(5)
        self.ledger.record_stats(force=True)
        totals = self.ledger.totals(FLOOD)
        by_address = self.ledger.by_address(FLOOD)
        self.history.record(LOAD_END, self.load_id, error is None, source=self.load_id, reason=reason,
                            error=error, **totals, by_attacker=by_address, legit=self.ledger.totals(LEGIT))
        if error:
            self.say(f"flood '{self.load_id}' ended before spending its share:\n{error}")
        summary: dict[str, Any] = {
            "load_id": self.load_id, "reason": reason, "error": error, "settings": asdict(self.settings),
            "targets": [str(t) for t in self.targets], "attackers": by_address, "totals": totals,
            "legit": self.ledger.by_address(LEGIT), "web_ui": self.ui_url,
        }
        (self.out_dir / f"{self.load_id}-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
