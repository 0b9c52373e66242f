"""The masters' record lines become history events; the latest counts stay at hand.

Record times are unix times taken in the containers (same kernel clock as the
host), turned into the history's clock with one offset measured at start.

- ``send`` (legitimate) -> ``smtp.send`` (target: the SMTP node; source: the load's id)
- ``attempt`` (sampled attacker attempt) -> ``flood.attempt``
- ``probe`` (does a server refuse an attacker) -> ``blocklist.probe``
- ``report`` (a worker's cumulative counts) -> ``load.stats``, at most once a second,
  and once more with the final counts when every attacker has finished
"""

from __future__ import annotations

import threading
import time
from typing import Any

from harness.events import LOAD_STATS, EventKind
from harness.history import History
from harness.probes.smtp import SMTP_SEND

FLOOD_ATTEMPT = EventKind("flood.attempt", "the SMTP node attacked",
                          "ip (the attacker's), outcome, code, stage, sample_fraction (the share of "
                          "the attackers' attempts recorded)")
BLOCKLIST_PROBE = EventKind("blocklist.probe", "the SMTP node asked",
                            "ip (an attacker's), refused (whether the server refused it), code")
FLOOD, LEGIT = "flood", "legit"
STATS_EVERY_S = 1.0
COUNT_KEYS = ("attempts", "accepted", "refused", "temp_failed", "errors")


class LoadLedger:
    def __init__(self, history: History, load_id: str) -> None:
        self.history = history
        self.load_id = load_id
        self._offset = time.time() - history.now()
        self._lock = threading.Lock()
        self._reports: dict[str, dict[int, dict[str, Any]]] = {FLOOD: {}, LEGIT: {}}
        self._started: dict[str, float] = {}
        self._finished: set[str] = set()
        self._stats_at = float("-inf")

    def t(self, unix_time: float) -> float:
        return unix_time - self._offset

    def take(self, source: str, record: dict[str, Any]) -> None:
        kind = record.get("kind")
        history, load_id = self.history, self.load_id
        if kind == "send":
            accepted = record["outcome"] == "accepted"
            history.record(SMTP_SEND, record["target"], accepted, latency_ms=record["ms"],
                           source=load_id, t=self.t(record["at"]),
                           message_id=record["message_id"], code=record["code"], accepted=accepted,
                           sender_ip=record["ip"], error=record["error"])
        elif kind == "attempt":
            history.record(FLOOD_ATTEMPT, record["target"], record["outcome"] == "accepted",
                           latency_ms=record["ms"], source=load_id, t=self.t(record["at"]),
                           ip=record["ip"], outcome=record["outcome"], code=record["code"],
                           stage=record["stage"], sample_fraction=record["sample_fraction"])
        elif kind == "probe":
            history.record(BLOCKLIST_PROBE, record["target"], True, source=load_id,
                           t=self.t(record["at"]), ip=record["ip"], refused=record["refused"],
                           code=record["code"])
        elif kind == "report":
            with self._lock:
                self._reports[source][record["worker"]] = record
            if source == FLOOD:
                self.record_stats()
        elif kind == "started":
            with self._lock:
                self._started[source] = self.t(record["at"])
        elif kind == "finished":
            with self._lock:
                self._finished.add(source)
            if source == FLOOD:
                self.record_stats(force=True)  # the final counts, not a second late

    def record_stats(self, *, force: bool = False) -> None:
        now = self.history.now()
        if not force and now - self._stats_at < STATS_EVERY_S:
            return
        self._stats_at = now
        self.history.record(LOAD_STATS, self.load_id, True, source=self.load_id,
                            **self.totals(FLOOD), legit=self.totals(LEGIT),
                            workers_reporting=len(self._reports[FLOOD]))

    def started_at(self, source: str) -> float | None:
        with self._lock:
            return self._started.get(source)

    def finished(self, source: str) -> bool:
        with self._lock:
            return source in self._finished

    def reporting(self, source: str) -> int:
        with self._lock:
            return len(self._reports[source])

    def totals(self, source: str) -> dict[str, int]:
        with self._lock:
            reports = list(self._reports[source].values())
        return {key: sum(r["counts"][key] for r in reports) for key in COUNT_KEYS}

    def cpu_seconds(self, source: str) -> float:
        """CPU time the workers' processes spent since their shares began, all together."""
        with self._lock:
            return sum(float(r.get("cpu_s", 0.0)) for r in self._reports[source].values())

    def by_address(self, source: str) -> dict[str, dict[str, int]]:
        """Cumulative counts by the source address the servers saw (worker processes
        sharing a machine share its address, so their counts add up)."""
        with self._lock:
            reports = [r for r in self._reports[source].values() if r["ip"]]
        counts: dict[str, dict[str, int]] = {}
        for report in reports:
            mine = counts.setdefault(str(report["ip"]), dict.fromkeys(COUNT_KEYS, 0))
            for key in COUNT_KEYS:
                mine[key] += report["counts"][key]
        return counts
