"""Durations and timeline offsets written as in an incident report: "500ms", "11m", "t+6m"."""

from __future__ import annotations

import re

ACCEPTED_DURATIONS = "500ms, 30s, 11m, 1h or 1m30s"
ACCEPTED_OFFSETS = "t+0s, t+30s, t+6m or t+1m30s"

_UNITS: dict[str, tuple[int, float]] = {  # unit -> (rank, seconds); ranks keep "1m30s" in order
    "h": (0, 3600.0),
    "m": (1, 60.0),
    "s": (2, 1.0),
    "ms": (3, 0.001),
}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(text: str) -> float:
    """Seconds in a duration such as "1m30s". Raises ValueError naming the accepted forms."""
    compact = text.strip()
    if not compact:
        raise ValueError(f"empty duration; write one of {ACCEPTED_DURATIONS}")
    seconds = 0.0
    position = 0
    last_rank = -1
    while position < len(compact):
        match = _PART.match(compact, position)
        if match is None:
            raise ValueError(f"'{text}' is not a duration; write one of {ACCEPTED_DURATIONS}")
        rank, unit_seconds = _UNITS[match.group(2)]
        if rank <= last_rank:
            raise ValueError(
                f"'{text}' repeats a unit or lists them out of order; "
                f"write larger units first, like {ACCEPTED_DURATIONS}"
            )
        last_rank = rank
        seconds += float(match.group(1)) * unit_seconds
        position = match.end()
    return seconds


def parse_offset(text: str) -> float:
    """Seconds after the timeline starts in an offset such as "t+6m"."""
    compact = text.strip()
    if not compact.startswith("t+"):
        raise ValueError(f"'{text}' is not a timeline offset; write one of {ACCEPTED_OFFSETS}")
    try:
        return parse_duration(compact[2:])
    except ValueError:
        raise ValueError(
            f"'{text}' is not a timeline offset; write one of {ACCEPTED_OFFSETS}"
        ) from None


def format_duration(seconds: float) -> str:
    """The shortest incident-style spelling of a duration: 90.0 -> "1m30s", 0.5 -> "500ms"."""
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if 0 < seconds < 1:
        return f"{_number(seconds * 1000)}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{int(hours)}h")
    if minutes:
        parts.append(f"{int(minutes)}m")
    if secs or not parts:
        parts.append(f"{_number(secs)}s")
    return "".join(parts)


def format_offset(seconds: float) -> str:
    return "t+" + format_duration(seconds)


def _number(value: float) -> str:
    # Fixed notation: the parser accepts no exponents.
    return f"{value:.6f}".rstrip("0").rstrip(".")
