"""Run a command inside a node, as an operator at its console would; its JSON output is kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from harness.actions import ActionContext, ActionRefused, ActionSpec
from harness.extensions import ACTIONS
from harness.fields import Duration
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope
from harness.topology import Argv


@ACTIONS.register
class Exec(ActionSpec):
    """Run ``command`` in ``node``; exit 0 is success. Output that is JSON becomes the action's
    output in the history (invariants can read it), any other output is kept as text."""

    kind: Literal["exec"]
    node: str
    command: Argv = Field(min_length=1)
    timeout: Duration = Field(default=30.0, gt=0)

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.node(("node",), self.node)

    def perform(self, ctx: ActionContext, action_id: str) -> Any:
        exit_code, output = ctx.stack.exec(self.node, self.command, self.timeout)
        if exit_code != 0:
            status = "did not finish in time" if exit_code is None else f"exited with {exit_code}"
            raise ActionRefused(f"{' '.join(self.command)} {status}: {output.strip()[-300:]}")
        return parse_output(output)


def parse_output(output: str) -> Any:
    """JSON output as data, anything else as its text."""
    try:
        return json.loads(output)
    except ValueError:
        return output.strip()
