"""The master's file of what its workers observed: one JSON object per line.

Lines: ``started`` when the master starts the test (its workers are
connected); the workers' records (``attempt``, ``probe``, ``send``, see
observations.py) with the worker's index added; a ``report`` line per worker
report with its cumulative counts; one ``finished`` line once every expected
worker has spent its share. The harness tails this file into the history.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


class RecordLog:
    def __init__(self, path: str | Path, *, expected_workers: int) -> None:
        self._file = Path(path).open("a", encoding="utf-8")
        self._expected = max(1, expected_workers)
        self._done: set[str] = set()
        self._finished = False

    def started(self) -> None:
        self._file.write(json.dumps({"kind": "started", "at": time.time()}) + "\n")
        self._file.flush()

    def write(self, client_id: str, report: dict[str, Any]) -> bool:
        """Append one worker report; True the first time every expected worker is done."""
        worker = report["index"]
        lines = [json.dumps({**record, "worker": worker}) for record in report["records"]]
        lines.append(json.dumps({
            "kind": "report", "worker": worker, "client": client_id, "ip": report["ip"],
            "at": time.time(), "counts": report["counts"], "by_target": report["by_target"],
            "done": report["done"], "cpu_s": report["cpu_s"],
        }))
        if report["done"]:
            self._done.add(client_id)
        newly_finished = not self._finished and len(self._done) >= self._expected
        if newly_finished:
            self._finished = True
            lines.append(json.dumps({"kind": "finished", "at": time.time()}))
        self._file.write("\n".join(lines) + "\n")
        self._file.flush()
        return newly_finished
