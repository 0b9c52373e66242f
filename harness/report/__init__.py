"""Run reports: journal.json, junit.xml and report.html per run folder, and reports/index.html."""

from __future__ import annotations

from pathlib import Path

from harness.report.html import render_report, write_report
from harness.report.index import rebuild_index
from harness.report.journal import load_run, write_journal
from harness.report.junit import write_junit
from harness.report.record import ExecutedEntry, RunMeta, RunRecord, executed_timeline


def write_run(run_dir: str | Path, record: RunRecord) -> dict[str, Path]:
    """Write the journal, the JUnit XML and the HTML report into `run_dir` (created if needed)."""
    folder = Path(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "journal": write_journal(folder, record),
        "junit": write_junit(folder, record),
        "report": write_report(folder, record),
    }


__all__ = [
    "ExecutedEntry",
    "RunMeta",
    "RunRecord",
    "executed_timeline",
    "load_run",
    "rebuild_index",
    "render_report",
    "write_run",
]
