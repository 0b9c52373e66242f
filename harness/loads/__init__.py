"""Loads: traffic a timeline plays for a while, one kind per module, each registered by ``kind``.

A load kind is a schema (``LoadSpec``) that starts itself against the stack
and hands back a ``RunningLoad``: the addresses it sends from (what an
operator blocks) and how to stop it. Rates are per real second, never scaled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

from harness.events import EventKind
from harness.history import History
from harness.scenario.spec import Spec

if TYPE_CHECKING:
    from harness.stack import Stack


class RunningLoad(Protocol):
    @property
    def addresses(self) -> list[str]:
        """The source addresses the load sends from."""

    def stop(self) -> None:
        """End it now (idempotent); it records its own end."""


@dataclass
class LoadContext:
    stack: Stack
    history: History
    load_id: str
    seed: int
    out_dir: Path  # where the load keeps its own files
    duration_s: float  # real seconds until the entry's end
    time_scale: float
    web_ui: bool  # serve the load tool's own UI on 127.0.0.1, when it has one
    say: Callable[[str], None]


class LoadSpec(Spec):
    # The kind of event an invariant judges this load by, when it can be a target (None: it cannot).
    observes: ClassVar[EventKind | None] = None

    def start(self, ctx: LoadContext) -> RunningLoad:
        raise NotImplementedError
