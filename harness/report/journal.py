"""journal.json: the whole run in one file, enough to re-render every report from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.history import Event, History
from harness.invariants.expectation import Outcome
from harness.invariants.verdict import Verdict
from harness.report.record import ExecutedEntry, RunMeta, RunRecord
from harness.scenario.model import Scenario
from harness.scenario.resolve import resolve

JOURNAL = "journal.json"
FORMAT = 1


def journal_of(record: RunRecord) -> dict[str, Any]:
    run = record.run
    return {
        "format": FORMAT,
        "meta": record.meta.to_json(),
        "scenario": run.scenario.model_dump(mode="json", by_alias=True),
        "resolved": {
            "time_scale": run.time_scale,
            "timeline_end_s": run.timeline_end_s,
            "grace_s": run.grace_s,
            "settings": run.settings,
            "expect_broken": run.expect.broken,
        },
        "timeline": [entry.to_json() for entry in record.timeline],
        "verdicts": [verdict.to_json() for verdict in record.verdicts],
        "outcome": record.outcome.to_json(),
        "events": [event.to_json() for event in record.history.events()],
    }


def write_journal(run_dir: Path, record: RunRecord) -> Path:
    path = run_dir / JOURNAL
    # Compact: a flood run holds tens of thousands of events.
    path.write_text(json.dumps(journal_of(record), separators=(",", ":"), default=str), encoding="utf-8")
    return path


def read_journal(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / JOURNAL
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: is {run_dir} a run folder under reports/?") from None
    if raw.get("format") != FORMAT:
        raise ValueError(f"{path} has journal format {raw.get('format')!r}; this harness reads format {FORMAT}")
    return raw


def load_run(run_dir: str | Path) -> RunRecord:
    """The record of a finished run, read back from its journal.json (for `outage report RUN_DIR`)."""
    raw = read_journal(Path(run_dir))
    meta = RunMeta.from_json(raw["meta"])
    scenario = Scenario.model_validate(raw["scenario"])
    return RunRecord(
        meta=meta,
        run=resolve(scenario, meta.architecture, meta.time_scale),
        history=History((Event.from_json(e) for e in raw["events"]), start=0.0),
        verdicts=[Verdict.from_json(v) for v in raw["verdicts"]],
        outcome=Outcome.from_json(raw["outcome"]),
        timeline=[ExecutedEntry.from_json(e) for e in raw["timeline"]],
    )
