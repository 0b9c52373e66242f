"""What one load process saw, kept small enough to ship to the master every second.

- counts of every attempt by outcome, in total and per target;
- legitimate sends, every one (the no-mail-lost invariant needs each message id);
- a seeded sample of attacker attempts (a flood is too many to keep);
- per target, whether the server refuses this process's address: every change,
  and otherwise one observation per ``probe_every_s``. An observation is stamped
  with the time the server answered MAIL FROM, which is when it decided, so
  the history orders them as the server did even when replies finish out of order.

Records are plain dicts (JSON lines on the master) with a unix ``at``.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.load.smtp_session import AttemptResult, Outcome


@dataclass
class Counts:
    attempts: int = 0
    accepted: int = 0
    refused: int = 0
    temp_failed: int = 0
    errors: int = 0

    def add(self, outcome: Outcome) -> None:
        self.attempts += 1
        match outcome:
            case Outcome.ACCEPTED:
                self.accepted += 1
            case Outcome.REFUSED:
                self.refused += 1
            case Outcome.TEMP_FAILED:
                self.temp_failed += 1
            case Outcome.ERROR:
                self.errors += 1

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class _Refusal:
    refused: bool
    at: float


@dataclass
class Observations:
    sample_fraction: float
    probe_every_s: float
    rng: random.Random
    totals: Counts = field(default_factory=Counts)
    by_target: dict[str, Counts] = field(default_factory=dict)
    source_ip: str | None = None
    _records: list[dict[str, Any]] = field(default_factory=list)
    _refusal: dict[str, _Refusal] = field(default_factory=dict)

    def attack(self, target: str, result: AttemptResult) -> None:
        self._count(target, result)
        if self.rng.random() < self.sample_fraction:
            self._records.append({
                "kind": "attempt", "target": target, "at": time.time(), "ip": result.source_ip,
                "outcome": result.outcome.value, "code": result.code, "stage": result.stage.value,
                "ms": round(result.elapsed_ms, 3), "sample_fraction": self.sample_fraction,
            })
        self._note_refusal(target, result)

    def legit(self, target: str, result: AttemptResult, message_id: str) -> None:
        self._count(target, result)
        accepted = result.outcome is Outcome.ACCEPTED
        self._records.append({
            "kind": "send", "target": target, "at": time.time(), "ip": result.source_ip,
            "message_id": message_id, "code": result.code, "outcome": result.outcome.value,
            "ms": round(result.elapsed_ms, 3), "error": None if accepted else result.reply[:200],
        })

    def drain(self) -> list[dict[str, Any]]:
        records, self._records = self._records, []
        return records

    def _count(self, target: str, result: AttemptResult) -> None:
        self.totals.add(result.outcome)
        self.by_target.setdefault(target, Counts()).add(result.outcome)
        if result.source_ip:
            self.source_ip = result.source_ip

    def _note_refusal(self, target: str, result: AttemptResult) -> None:
        refused = result.sender_refused
        if refused is None or result.sender_answered_at is None:
            return
        at = result.sender_answered_at
        last = self._refusal.get(target)
        # A reply decided earlier but finished later still counts: it may be the first refusal.
        if last is None or last.refused != refused or at < last.at or at - last.at >= self.probe_every_s:
            self._refusal[target] = _Refusal(refused, at)
            self._records.append({"kind": "probe", "target": target, "at": at,
                                  "ip": result.source_ip, "refused": refused, "code": result.sender_code})
