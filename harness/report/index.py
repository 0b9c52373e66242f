"""reports/index.html: every run folder, newest first, rebuilt from the folders' journal.json."""

from __future__ import annotations

from html import escape
from pathlib import Path

from harness.errors import HarnessError
from harness.report.html import CSS, REPORT
from harness.report.journal import JOURNAL, read_journal

INDEX = "index.html"


def rebuild_index(reports_dir: str | Path) -> Path:
    reports = Path(reports_dir)
    rows: list[tuple[str, str]] = []  # (sort key, row)
    for journal in sorted(reports.glob(f"*/{JOURNAL}")):
        folder = journal.parent.name
        link = f"<a href='{escape(folder)}/{REPORT}'>{escape(folder)}</a>"
        try:
            raw = read_journal(journal.parent)
            meta, outcome = raw["meta"], raw["outcome"]
            verdict = "PASS" if outcome["passed"] else "FAIL"
            rows.append((meta["started_at"], (
                f"<tr class='{'expected' if outcome['passed'] else 'surprise'}'><td>{link}</td>"
                f"<td>{escape(raw['scenario']['name'])}</td><td>{escape(meta['architecture'])}</td>"
                f"<td><b>{verdict}</b></td><td>{escape(', '.join(outcome['observed_broken']) or '—')}</td>"
                f"<td>{escape(meta['database_tier'])}</td><td>{meta['time_scale']:g}</td>"
                f"<td>{escape(meta['started_at'])}</td><td>{escape(outcome['summary'])}</td></tr>"
            )))
        except (HarnessError, KeyError, TypeError) as exc:
            rows.append(("", f"<tr class='surprise'><td>{link}</td><td colspan='8'>unreadable journal: "
                             f"{escape(str(exc))}</td></tr>"))
    rows.sort(key=lambda row: row[0], reverse=True)
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Outage harness runs</title>"
        f"<style>{CSS}</style></head><body><h1>Runs</h1>"
        "<table><tr><th>run</th><th>scenario</th><th>architecture</th><th>outcome</th><th>broke</th>"
        "<th>database</th><th>time scale</th><th>started</th><th>summary</th></tr>"
        + "".join(row for _, row in rows)
        + "</table></body></html>\n"
    )
    path = reports / INDEX
    path.write_text(page, encoding="utf-8")
    return path
