"""Null SMTP sinks on the stack's public network: what the flood generator is measured against."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from harness.errors import HarnessError
from harness.load.containers import LoadContainer, start_load_container
from harness.load.plan import Target
from harness.load.targets import LABEL_PORT, SINK_ROLE
from harness.stack import Stack

SINK_PORT = 2525
METRICS_PORT = 12525
READY_TIMEOUT_S = 30


@dataclass(frozen=True)
class NullSink:
    container: LoadContainer

    @property
    def target(self) -> Target:
        return Target(self.container.name, self.container.address, SINK_PORT)

    def metrics(self) -> dict[str, Any]:
        """The sink's own figures: ``accepted`` messages, ``cpu_s`` it has spent, per-client counts."""
        response = httpx.get(f"http://{self.container.address}:{METRICS_PORT}/metrics", timeout=5)
        return dict(response.json())


def start_null_sinks(stack: Stack, count: int) -> list[NullSink]:
    command = ["python", "-m", "fixtures.flood.null_sink", "--port", str(SINK_PORT),
               "--metrics-port", str(METRICS_PORT)]
    sinks = [NullSink(start_load_container(stack, f"sink-{n + 1}", SINK_ROLE, command,
                                           labels={LABEL_PORT: str(SINK_PORT)}, with_code=False))
             for n in range(count)]
    deadline = time.monotonic() + READY_TIMEOUT_S
    for sink in sinks:
        while True:
            try:
                sink.metrics()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise HarnessError(f"null sink {sink.container.name} did not answer in {READY_TIMEOUT_S} s:\n"
                                       f"{sink.container.logs()}", "rebuild the images: "
                                       "python -m harness.runtime.setup") from None
                time.sleep(0.1)
    return sinks
