"""An operator action of your own, named by import path."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from harness.actions import ActionContext, ActionSpec
from harness.extensions import ACTIONS
from harness.fields import ImportPath
from harness.scenario.imports import resolve_import


@ACTIONS.register
class CustomAction(ActionSpec):
    """Call ``use`` ("package.module:callable") with the action context and ``args``."""

    kind: Literal["custom"]
    use: ImportPath
    args: dict[str, Any] = Field(default_factory=dict)

    def perform(self, ctx: ActionContext, action_id: str) -> Any:
        return resolve_import(self.use)(ctx, **self.args)
