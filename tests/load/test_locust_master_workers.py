"""Locust's own master/worker mode on loopback, no containers: shares, the end, the records, the CSV."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from harness.events import LOAD_STATS
from harness.history import History
from harness.load.ledger import BLOCKLIST_PROBE, FLOOD, FLOOD_ATTEMPT, LoadLedger
from harness.load.master import LOCUSTFILE, REPO, LocustMaster, MasterSpec
from harness.load.tail import RecordTail

TOTAL = 301  # odd on purpose: the two workers' shares differ by one


def test_two_workers_send_exactly_the_total_and_everything_reaches_the_history(
    null_sink: tuple[Counter[str], int], tmp_path: Path
) -> None:
    accepted, port = null_sink
    master = LocustMaster(MasterSpec(
        FLOOD, "SmtpFloodUser", workers=2, users=4, run_time_s=60,
        options=["--smtp-targets", f"sink=127.0.0.1:{port}", "--smtp-rate", "400", "--smtp-total", str(TOTAL),
                 "--smtp-seconds", "30", "--sample", "1"]), "127.0.0.1", tmp_path)
    master.start()
    worker_argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker",
                   "--master-host", "127.0.0.1", "--master-port", str(master.port)]
    workers = [subprocess.Popen(worker_argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(2)]
    history = History()
    ledger = LoadLedger(history, "flood")
    tail = RecordTail({FLOOD: master.records}, ledger)
    tail.start()
    try:
        assert master.wait(60), f"the master should end by itself once the count is spent:\n{master.log_tail()}"
    finally:
        master.stop()
        for worker in workers:
            worker.kill()
            worker.wait()
        tail.stop()

    assert ledger.finished(FLOOD)
    assert ledger.totals(FLOOD) == {"attempts": TOTAL, "accepted": TOTAL, "refused": 0, "temp_failed": 0,
                                    "errors": 0}
    assert sum(accepted.values()) == TOTAL, "the sink counts what Locust reported, no more, no less"
    attempts = history.events(FLOOD_ATTEMPT)
    assert len(attempts) == TOTAL and {e.data["sample_fraction"] for e in attempts} == {1.0}
    probes = history.events(BLOCKLIST_PROBE, "sink")
    assert probes and not any(e.data["refused"] for e in probes)
    assert history.events(LOAD_STATS)[-1].data["attempts"] == TOTAL
    csv_history = (tmp_path / "flood_stats_history.csv").read_text()
    assert "SMTP" in csv_history and "accepted" in csv_history
