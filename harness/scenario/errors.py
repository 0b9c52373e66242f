"""ScenarioError: what is wrong in a scenario file, where, and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

FieldPath = tuple[str | int, ...]


def render_path(path: FieldPath) -> str:
    """("timeline", 2, "fault", "provider") -> "timeline[2].fault.provider"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


def suggest(name: object, known: Iterable[str], what: str) -> str:
    """A hint naming the closest known names, or listing them all when nothing is close."""
    choices = sorted(set(known))
    if not choices:
        return f"there are no {what} to refer to; declare one first"
    close = difflib.get_close_matches(str(name), choices, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    return f"known {what}: " + ", ".join(choices)


@dataclass(frozen=True)
class Problem:
    path: FieldPath
    message: str
    hint: str = ""
    line: int | None = None

    @property
    def field(self) -> str:
        return render_path(self.path)

    def render(self, file: str | None) -> str:
        where = file or "<scenario>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: {self.field}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


class ScenarioError(Exception):
    """One or more problems in a scenario, each with its file, line and field path.

    ``file``, ``line``, ``field``, ``message`` and ``hint`` describe the first
    problem; ``problems`` holds them all. ``str()`` renders one line per problem:
    ``scenarios/x.yaml:12: timeline[2].fault.provider: unknown provider 'chicgo' —
    did you mean 'chicago'?``
    """

    def __init__(self, problems: Sequence[Problem], file: str | None = None) -> None:
        if not problems:
            raise ValueError("a ScenarioError needs at least one problem")
        self.problems = list(problems)
        self.file = file
        super().__init__(str(self))

    @classmethod
    def single(cls, path: FieldPath, message: str, hint: str = "", file: str | None = None,
               line: int | None = None) -> ScenarioError:
        return cls([Problem(path, message, hint, line)], file)

    @property
    def line(self) -> int | None:
        return self.problems[0].line

    @property
    def field(self) -> str:
        return self.problems[0].field

    @property
    def message(self) -> str:
        return self.problems[0].message

    @property
    def hint(self) -> str:
        return self.problems[0].hint

    def located(self, file: str, line_of: Callable[[FieldPath], int | None]) -> ScenarioError:
        """The same problems, naming `file` and the line `line_of` finds for each path."""
        return ScenarioError(
            [p if p.line is not None else replace(p, line=line_of(p.path)) for p in self.problems],
            file,
        )

    def __str__(self) -> str:
        return "\n".join(p.render(self.file) for p in self.problems)

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[list[Problem], str | None]]:
        return (ScenarioError, (self.problems, self.file))


def line_in(tree: Any, path: FieldPath) -> int:
    """The 1-based line of the deepest part of `path` present in a round-trip YAML tree."""
    node, line = tree, 1
    for part in path:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line = node.lc.item(part)[0] + 1
            else:
                break
        except (KeyError, TypeError, AttributeError):
            break
        node = node[part]
    return line
