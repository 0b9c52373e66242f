"""HTTP probe: a request to each target every period, open loop, judged by status (and body)."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, field_validator

from harness.events import EventKind
from harness.extensions import PROBES
from harness.fields import Duration, invalid
from harness.history import History
from harness.probes import PeriodicProbe, ProbeContext, Target, TargetedProbeSpec
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope

HTTP_REQUEST = EventKind(
    "http.request", "the target: a node's name, or 'floating' (the floating IP)",
    "path, status (None when no answer came), timed_out, error; and whatever the probe kind adds "
    "(a mail API probe: status_link, leg)",
)


@PROBES.register
class HttpProbeSpec(TargetedProbeSpec):
    """``method`` ``path`` on each target; ok when the status is one of ``status`` (default: any
    under 400) and, with ``body_regex``, the body matches it."""

    kind: Literal["http"]
    observes: ClassVar[EventKind] = HTTP_REQUEST
    method: Literal["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"] = "GET"
    path: str = "/"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    status: list[int] | None = None
    body_regex: str | None = None
    timeout: Duration = Field(default=5.0, gt=0)

    @field_validator("status", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, int) else value

    @field_validator("body_regex")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise invalid(f"{pattern!r} is not a regular expression: {exc}", "escape special characters") from None
        return pattern

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from super().problems(scope)
        if not self.path.startswith("/"):
            yield Problem(("path",), f"path {self.path!r} does not start with '/'", f"write /{self.path}")

    def judged_timeout(self) -> float | None:
        return self.timeout

    def start(self, ctx: ProbeContext) -> list[PeriodicProbe]:
        return [HttpPoller(self, ctx.history, target, f"http://{target.address}:{self.port_of(ctx, target)}")
                for target in ctx.targets(self.targets)]

    def ok(self, status: int, text: str) -> bool:
        expected = status in self.status if self.status is not None else status < 400
        return expected and (self.body_regex is None or re.search(self.body_regex, text) is not None)

    def extra(self, response: httpx.Response) -> dict[str, Any]:
        """What a probe kind built on this one records besides the status."""
        return {}


class HttpPoller(PeriodicProbe):
    """One target. Requests go out on schedule (open loop), each on a worker of its own: a
    closed-loop probe waiting out a 3 s timeout sends six times fewer requests while the
    target is down than while it is up, and reports a 2-minute outage as a blip
    (coordinated omission). Each request is recorded at the time it was sent."""

    def __init__(self, spec: HttpProbeSpec, history: History, target: Target, base_url: str) -> None:
        super().__init__(spec.id, history, spec.every)
        self.name = f"probe-{spec.id}-{target.name}"
        self.spec = spec
        self.target = target
        self._http = httpx.Client(base_url=base_url, timeout=spec.timeout)
        # Enough workers for every request that can be in flight before the oldest times out.
        self._workers = ThreadPoolExecutor(max_workers=math.ceil(spec.timeout / spec.every) + 1,
                                           thread_name_prefix=self.name)

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
        spec = self.spec
        started = time.perf_counter()
        status: int | None = None
        timed_out, ok = False, False
        error: str | None = None
        extra: dict[str, Any] = {}
        try:
            response = self._http.request(spec.method, spec.path, content=spec.body,
                                          headers={"Connection": "close", **spec.headers})
            status = response.status_code
            ok = spec.ok(status, response.text)
            extra = spec.extra(response)
        except httpx.TimeoutException as err:
            timed_out, error = True, type(err).__name__
        except httpx.HTTPError as err:
            error = f"{type(err).__name__}: {err}"
        latency_ms = (time.perf_counter() - started) * 1000
        if timed_out:
            latency_ms = max(latency_ms, spec.timeout * 1000)
        self.history.record(HTTP_REQUEST, self.target.name, ok, latency_ms=latency_ms, source=spec.id,
                            t=sent_at, path=spec.path, status=status, timed_out=timed_out, error=error, **extra)
