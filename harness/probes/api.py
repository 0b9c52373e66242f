"""GETs an inbox through the front (the floating IP) and from each API leg."""

from __future__ import annotations

import time

import httpx

from harness.history import History
from harness.probes.base import PeriodicProbe


class ApiProbe(PeriodicProbe):
    """One target per probe thread, so a hung target never delays another."""

    def __init__(self, history: History, every_s: float, target: str, base_url: str,
                 path: str, timeout_s: float, status_page_url: str) -> None:
        super().__init__(f"api-{target}", history, every_s)
        self.target = target
        self.path = path
        self.status_page_url = status_page_url
        self.timeout_s = timeout_s
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s)

    def observe(self) -> None:
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
            latency_ms=latency_ms, source=self.name, path=self.path, status=status,
            timed_out=timed_out, status_link=self.status_page_url in body, leg=leg, error=error,
        )
