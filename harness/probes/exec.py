"""Exec probe: a command run inside each target node every period; exit 0 is success, and
JSON printed on stdout becomes the event's data (``id``, say, for a writer's acknowledged write)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from pydantic import Field

from harness.events import EventKind
from harness.extensions import PROBES
from harness.fields import Duration
from harness.probes import PeriodicProbe, ProbeContext, ProbeSpec
from harness.scenario.errors import Problem
from harness.scenario.spec import FLOATING, Scope
from harness.topology import Argv

EXEC_RUN = EventKind("exec.run", "the node the command ran in",
                     "exit_code (None when it did not finish in time), output (its last 300 characters "
                     "when not JSON), and the keys of the JSON object it printed")


@PROBES.register
class ExecProbeSpec(ProbeSpec):
    kind: Literal["exec"]
    observes: ClassVar[EventKind] = EXEC_RUN
    targets: list[str] = Field(min_length=1)  # node names or role:<role>
    command: Argv = Field(min_length=1)
    timeout: Duration = Field(default=10.0, gt=0)

    def problems(self, scope: Scope) -> Iterator[Problem]:
        if FLOATING in self.targets:
            yield Problem(("targets",), "a command runs in a node, not on the floating IP", "name nodes")
        yield from scope.targets(("targets",), [t for t in self.targets if t != FLOATING], floating=False)

    def judged_timeout(self) -> float | None:
        return self.timeout

    def start(self, ctx: ProbeContext) -> list[PeriodicProbe]:
        return [ExecRunner(self, ctx, target.name) for target in ctx.targets(self.targets)]


class ExecRunner(PeriodicProbe):
    def __init__(self, spec: ExecProbeSpec, ctx: ProbeContext, node: str) -> None:
        super().__init__(spec.id, ctx.history, spec.every)
        self.name = f"probe-{spec.id}-{node}"
        self.spec, self.stack, self.node = spec, ctx.stack, node

    def observe(self) -> None:
        sent_at = self.history.now()
        started = time.perf_counter()
        exit_code, output = self.stack.exec(self.node, self.spec.command, self.spec.timeout)
        self.history.record(EXEC_RUN, self.node, exit_code == 0, source=self.spec.id, t=sent_at,
                            latency_ms=(time.perf_counter() - started) * 1000, exit_code=exit_code,
                            **_data(output))


# Keys the event itself takes: JSON printed under these names is kept as output_<name>.
_RESERVED = ("t", "source", "latency_ms", "exit_code")


def _data(output: str) -> dict[str, Any]:
    try:
        parsed = json.loads(output)
    except ValueError:
        return {"output": output.strip()[-300:]}
    if not isinstance(parsed, dict):
        return {"output": parsed}
    return {(f"output_{key}" if key in _RESERVED else str(key)): value for key, value in parsed.items()}
