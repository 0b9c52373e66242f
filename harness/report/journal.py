"""journal.json: the whole run in one file, enough to re-render every report from it."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from harness.errors import HarnessError
from harness.extensions import load_kinds, use_scenario_folder
from harness.history import Event, History
from harness.invariants.expectation import Outcome
from harness.invariants.verdict import Verdict
from harness.report.record import ExecutedEntry, RunMeta, RunRecord
from harness.scenario.errors import ScenarioError
from harness.scenario.model import scenario_model
from harness.scenario.resolve import resolve

JOURNAL = "journal.json"
# 2: probes, loads and invariants are registered kinds (probes a list with ids).
FORMAT = 2


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
        "events": record.history.events(),
    }


def write_journal(run_dir: Path, record: RunRecord) -> Path:
    path = run_dir / JOURNAL
    # Compact, and events serialised as they are (dataclasses): a long run holds millions.
    path.write_bytes(orjson.dumps(journal_of(record), default=str, option=orjson.OPT_NON_STR_KEYS))
    return path


def read_journal(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / JOURNAL
    try:
        raw = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise HarnessError(f"{path} does not exist", "give a run folder under reports/") from None
    except (OSError, orjson.JSONDecodeError) as exc:
        raise HarnessError(f"{path} cannot be read as JSON: {exc}", "give a run folder the harness wrote") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
        raise HarnessError(f"{path} has journal format {found!r}; this harness reads format {FORMAT}",
                           "re-run the scenario with this version of the harness to get a new report")
    return raw


def load_run(run_dir: str | Path) -> RunRecord:
    """The record of a finished run, read back from its journal.json (for `outage report RUN_DIR`)."""
    raw = read_journal(Path(run_dir))
    try:
        meta = RunMeta.from_json(raw["meta"])
        load_kinds()
        use_scenario_folder(Path(meta.scenario_file).parent)
        for module in raw["scenario"].get("extensions", []):
            importlib.import_module(module)
        scenario = scenario_model().model_validate(raw["scenario"])
        return RunRecord(
            meta=meta,
            run=resolve(scenario, meta.architecture, meta.time_scale),
            history=History((Event.from_json(e) for e in raw["events"]), start=0.0),
            verdicts=[Verdict.from_json(v) for v in raw["verdicts"]],
            outcome=Outcome.from_json(raw["outcome"]),
            timeline=[ExecutedEntry.from_json(e) for e in raw["timeline"]],
        )
    except (KeyError, TypeError, ValueError, ValidationError, ScenarioError, ImportError) as exc:
        raise HarnessError(f"{Path(run_dir) / JOURNAL} is not a journal this harness can read: "
                           f"{type(exc).__name__}: {str(exc).splitlines()[0]}",
                           "give a run folder the harness wrote, unchanged") from None
