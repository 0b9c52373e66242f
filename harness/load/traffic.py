"""One load process's shared state: its share of the load, its connections' targets, what it saw.

Built once per process when the test starts; every SMTP user of the process
draws attempts from the same pacer and writes to the same observations.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from harness.load.mail import MailFactory
from harness.load.observations import Observations
from harness.load.pacing import Pacer
from harness.load.plan import Target, parse_targets, share_of


class Traffic:
    def __init__(self, targets: list[Target], pacer: Pacer, observations: Observations,
                 mail: MailFactory, *, timeout_s: float, index: int) -> None:
        self.targets = targets
        self.pacer = pacer
        self.observations = observations
        self.mail = mail
        self.timeout_s = timeout_s
        self.index = index
        self.in_flight = 0
        self._slots = 0
        self._cpu_start = time.process_time()

    @classmethod
    def from_options(cls, options: argparse.Namespace, *, index: int, workers: int, legit: bool) -> Traffic:
        share = share_of(options.smtp_rate, options.smtp_total, index, workers)
        # Distinct, reproducible streams per worker: the seed and the worker's index.
        rng = random.Random(f"{options.seed}/{index}/{'legit' if legit else 'flood'}")
        return cls(
            parse_targets(options.smtp_targets),
            Pacer(share.rate, share.total, options.smtp_seconds, ramp_s=options.smtp_ramp),
            Observations(1.0 if legit else options.sample, options.probe_every, rng),
            MailFactory(options.mail_domain, rng, legit),
            timeout_s=options.smtp_timeout,
            index=index,
        )

    def next_target(self) -> Target:
        """Connections spread over the targets in turn, so every server sees every process."""
        target = self.targets[self._slots % len(self.targets)]
        self._slots += 1
        return target

    def reserve(self) -> float | None:
        """The wait before this process's next attempt, or None when its share is spent.
        A reserved attempt counts as in flight until ``release``."""
        wait = self.pacer.reserve()
        if wait is not None:
            self.in_flight += 1
        return wait

    def release(self) -> None:
        self.in_flight -= 1

    @property
    def done(self) -> bool:
        return self.pacer.finished and self.in_flight == 0

    def report(self) -> dict[str, Any]:
        """What goes to the master with each stats report."""
        observed = self.observations
        return {
            "index": self.index,
            "ip": observed.source_ip,
            "counts": observed.totals.as_dict(),
            "by_target": {name: counts.as_dict() for name, counts in observed.by_target.items()},
            "records": observed.drain(),
            "done": self.done,
            # This process's CPU time since its share began: what each attempt costs the generator.
            "cpu_s": round(time.process_time() - self._cpu_start, 3),
        }
