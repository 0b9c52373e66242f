"""GETs an inbox through the front (the floating IP) and from each API leg."""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from harness.history import History
from harness.probes.base import PeriodicProbe


class ApiProbe(PeriodicProbe):
    """One target per probe. Requests go out on schedule (open loop), each on a worker of its
    own: a closed-loop probe waiting out a 3 s timeout sends six times fewer requests while
    the target is down than while it is up, and reports a 2-minute outage as a blip
    (coordinated omission). Each request is recorded at the time it was sent."""

    def __init__(self, history: History, every_s: float, target: str, base_url: str,
                 path: str, timeout_s: float, status_page_url: str) -> None:
        super().__init__(f"api-{target}", history, every_s)
        self.target = target
        self.path = path
        self.status_page_url = status_page_url
        self.timeout_s = timeout_s
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s)
        # Enough workers for every request that can be in flight before the oldest times out.
        self._workers = ThreadPoolExecutor(max_workers=math.ceil(timeout_s / every_s) + 1,
                                           thread_name_prefix=f"probe-api-{target}")

    def observe(self) -> None:
        self._workers.submit(self._request, self.history.now())

    def stop(self, timeout_s: float = 15) -> None:
        try:
            super().stop(timeout_s)
        finally:
            self._workers.shutdown(wait=True)
            self._http.close()
        if self.failure is not None:
            raise RuntimeError(f"{self.name} crashed: {self.failure!r}") from self.failure

    def _request(self, sent_at: float) -> None:
        try:
            self._observe_once(sent_at)
        except Exception as err:  # noqa: BLE001 - surfaced by stop()
            self.failure = err

    def _observe_once(self, sent_at: float) -> None:
        started = time.perf_counter()
        status: int | None = None
        body = ""
        timed_out = False
        error: str | None = None
        leg: str | None = None
        try:
            response = self._http.get(self.path, headers={"Connection": "close"})
            status, body = response.status_code, response.text
            leg = response.headers.get("x-api-leg")
        except httpx.TimeoutException as err:
            timed_out, error = True, f"{type(err).__name__}"
        except httpx.HTTPError as err:
            error = f"{type(err).__name__}: {err}"
        latency_ms = (time.perf_counter() - started) * 1000
        if timed_out:
            latency_ms = max(latency_ms, self.timeout_s * 1000)
        self.history.record(
            "api.request", self.target, status is not None and status < 400,
            latency_ms=latency_ms, source=self.name, t=sent_at, path=self.path, status=status,
            timed_out=timed_out, status_link=self.status_page_url in body, leg=leg, error=error,
        )
