"""Verdict: what one invariant concluded about one run's history."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# (start_s, end_s) in real seconds since the run started.
Window = tuple[float, float]


@dataclass(frozen=True)
class Verdict:
    id: str
    kind: str
    held: bool
    summary: str  # one human sentence, with the numbers
    broken_windows: list[Window] = field(default_factory=list)  # when it broke and for how long
    measured: dict[str, Any] = field(default_factory=dict)
    # The history cannot answer (the phase never happened, no probe data): never counts as held.
    inconclusive: bool = False

    @classmethod
    def unjudged(cls, id: str, kind: str, reason: str) -> Verdict:
        return cls(id=id, kind=kind, held=False, summary=f"not judged: {reason}", inconclusive=True)

    @property
    def broken(self) -> bool:
        return not self.held and not self.inconclusive

    @property
    def state(self) -> str:
        """What was observed, in words: "holds", "breaks" or "not judged"."""
        if self.inconclusive:
            return "not judged"
        return "holds" if self.held else "breaks"

    def to_json(self) -> dict[str, Any]:
        raw = asdict(self)
        raw["broken_windows"] = [list(w) for w in self.broken_windows]
        return raw

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Verdict:
        windows = [(float(a), float(b)) for a, b in raw.get("broken_windows", [])]
        return cls(**{**raw, "broken_windows": windows})
