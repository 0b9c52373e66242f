"""How fast and how much one load process may send: a token bucket with a ramp, a count and a deadline.

Every user of a process draws its attempts from one ``Pacer``, so the process
keeps to its share of the rate whatever the number of connections, and the
count and duration bounds hold even if the master never says stop.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

# During a ramp the rate starts here rather than at zero, so the first attempt
# is not scheduled an unbounded time away.
RAMP_FLOOR = 0.01
# Credit a process may bank while its connections are busy: a short burst, never a backlog.
BURST_S = 0.05


class Pacer:
    def __init__(
        self,
        rate: float,
        total: int,
        seconds: float,
        *,
        ramp_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (0 < rate < math.inf and total >= 0 and 0 < seconds < math.inf and ramp_s >= 0):
            raise ValueError(f"a pacer needs a finite rate > 0, total >= 0, finite seconds > 0, ramp >= 0 "
                             f"(got {rate}, {total}, {seconds}, {ramp_s})")
        self.rate = rate
        self.remaining = total
        self.ramp_s = ramp_s
        self._clock = clock
        self._origin = clock()
        self._deadline = self._origin + seconds
        self._updated = self._origin
        self._tokens = 0.0
        self._burst = max(1.0, rate * BURST_S)

    def rate_at(self, now: float) -> float:
        if self.ramp_s <= 0:
            return self.rate
        return self.rate * min(1.0, max(RAMP_FLOOR, (now - self._origin) / self.ramp_s))

    def reserve(self) -> float | None:
        """Take the next attempt: the seconds to wait before sending it, or None when
        the count is spent or the attempt could not start before the deadline."""
        now = self._clock()
        if self.remaining <= 0 or now >= self._deadline:
            return None
        rate = self.rate_at(now)
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * rate)
        self._updated = now
        wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / rate
        if now + wait >= self._deadline:
            return None
        self._tokens -= 1
        self.remaining -= 1
        return wait

    @property
    def finished(self) -> bool:
        """No attempt will be handed out any more."""
        return self.remaining <= 0 or self._clock() >= self._deadline
