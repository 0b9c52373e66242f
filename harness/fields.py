"""Field types shared by the scenario models, with errors that say what to write instead."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer
from pydantic_core import PydanticCustomError

from harness.durations import (
    ACCEPTED_DURATIONS,
    ACCEPTED_OFFSETS,
    format_duration,
    format_offset,
    parse_duration,
    parse_offset,
)


def invalid(message: str, hint: str = "") -> PydanticCustomError:
    """A validation error whose message and hint reach the ScenarioError unchanged."""
    # Braces in a template are read as placeholders: keep user text out of them.
    return PydanticCustomError("scenario", "{message}", {"message": message, "hint": hint})


def _duration(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, str):
        raise invalid(
            f"{value!r} is not a duration",
            f"write it with a unit, as in the incident: {ACCEPTED_DURATIONS}",
        )
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise _split(exc) from None


def _offset(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, str):
        raise invalid(f"{value!r} is not a timeline offset", f"write one of {ACCEPTED_OFFSETS}")
    try:
        return parse_offset(value)
    except ValueError as exc:
        raise _split(exc) from None


def _split(exc: ValueError) -> PydanticCustomError:
    # The parsers say "<what is wrong>; <what to write>".
    problem, _, fix = str(exc).partition("; ")
    return invalid(problem, fix)


# Seconds, written "500ms", "30s", "11m", "1h", "1m30s"; dumped back the same way.
Duration = Annotated[float, BeforeValidator(_duration), PlainSerializer(format_duration)]
# Seconds after the timeline starts, written "t+6m".
Offset = Annotated[float, BeforeValidator(_offset), PlainSerializer(format_offset)]

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


def _identifier(value: Any) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise invalid(
            f"{value!r} is not a valid id",
            "use lowercase letters, digits, '-' and '_', starting with a letter (e.g. 'chicago-cut')",
        )
    return value


# Names a timeline entry, an invariant or an architecture.
Identifier = Annotated[str, BeforeValidator(_identifier)]

_IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def _import_path(value: Any) -> str:
    if not isinstance(value, str) or not _IMPORT_PATH.match(value):
        raise invalid(
            f"{value!r} is not an import path",
            "write 'package.module:name', e.g. 'mychecks.mail:no_bounces'",
        )
    return value


# An extension point: "package.module:callable_or_class".
ImportPath = Annotated[str, BeforeValidator(_import_path)]

PHASE_FORMS = "all, before, during:<fault or load id>, after:<fault or load id>"
_PHASE = re.compile(r"^(all|before|(during|after):[a-z][a-z0-9_-]{0,62})$")


def _phase(value: Any) -> str:
    if not isinstance(value, str) or not _PHASE.match(value):
        raise invalid(f"{value!r} is not a phase", f"write one of {PHASE_FORMS}")
    return value


# When an invariant applies: "all", "before" (the first fault), "during:<id>", "after:<id>".
Phase = Annotated[str, BeforeValidator(_phase)]


def phase_reference(phase: str) -> tuple[str, str | None]:
    """"during:db-cut" -> ("during", "db-cut"); "all" -> ("all", None)."""
    name, _, ref = phase.partition(":")
    return name, ref or None
