"""Follows the masters' JSON-lines record files and hands each complete line to the ledger."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from harness.load.ledger import LoadLedger

POLL_S = 0.25


class RecordTail(threading.Thread):
    def __init__(self, files: dict[str, Path], ledger: LoadLedger) -> None:
        super().__init__(name=f"load-records-{ledger.load_id}", daemon=True)
        self._files = files
        self._ledger = ledger
        self._offsets = dict.fromkeys(files, 0)
        self._partial = dict.fromkeys(files, b"")
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.failure: BaseException | None = None

    def run(self) -> None:
        while not self._stopping.wait(POLL_S):
            try:
                self.read_new()
            except Exception as err:  # noqa: BLE001 - kept and re-raised by stop()
                self.failure = err
                return

    def read_new(self) -> None:
        with self._lock:
            for source, path in self._files.items():
                if not path.exists():
                    continue
                with path.open("rb") as src:
                    src.seek(self._offsets[source])
                    chunk = src.read()
                self._offsets[source] += len(chunk)
                *lines, self._partial[source] = (self._partial[source] + chunk).split(b"\n")
                for line in lines:
                    if line.strip():
                        self._ledger.take(source, json.loads(line))

    def stop(self) -> None:
        """Stop following, after one last read of whatever the masters wrote."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout=5)
        if self.failure is None:
            self.read_new()
        else:
            raise RuntimeError(f"reading load records failed: {self.failure!r}") from self.failure
