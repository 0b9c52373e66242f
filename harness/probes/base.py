"""A probe is a thread that does one bounded observation every period."""

from __future__ import annotations

import threading
import time

from harness.history import History


class PeriodicProbe(threading.Thread):
    """Calls ``observe()`` every ``every_s`` until stopped; a slow observation
    delays the next one rather than piling up (each observation is bounded by
    its own timeout)."""

    def __init__(self, name: str, history: History, every_s: float) -> None:
        super().__init__(name=f"probe-{name}", daemon=True)
        self.history = history
        self.every_s = every_s
        self._stopping = threading.Event()
        self.failure: BaseException | None = None

    def observe(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        next_at = time.monotonic()
        while not self._stopping.is_set():
            try:
                self.observe()
            except Exception as err:  # noqa: BLE001 - kept and re-raised by stop()
                self.failure = err
                return
            next_at = max(next_at + self.every_s, time.monotonic())
            self._stopping.wait(max(0.0, next_at - time.monotonic()))

    def stop(self, timeout_s: float = 15) -> None:
        """Stop, wait for the current observation, and surface a crash as an error."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout_s)
        if self.failure is not None:
            raise RuntimeError(f"{self.name} crashed: {self.failure!r}") from self.failure

    def close(self) -> None:
        """Release connections the probe holds; called after stop() and any later use."""
