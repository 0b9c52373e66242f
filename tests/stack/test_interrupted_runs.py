"""A run stopped in the middle (Ctrl-C, SIGTERM, SIGKILL) leaves its history and no containers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest
from polling import wait_until

from harness.stack.cleanup import LABEL_OWNER, LABEL_RUN

pytestmark = pytest.mark.docker

SCENARIO = Path(__file__).parent / "data" / "two_echoes.yaml"
REAPED_WITHIN_S = 10


def _start_run(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "outage.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "run", str(SCENARIO), "--reports", str(tmp_path / "reports")],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "TESTCONTAINERS_RYUK_DISABLED": "true"},
        )
    wait_until(lambda: "t=" in log.read_text(errors="replace") or process.poll() is not None, timeout=240,
               what="the run's timeline to start")
    assert process.poll() is None, log.read_text(errors="replace")
    return process, log


def _run_id(client: docker.DockerClient, pid: int) -> str:
    owned = [c for c in client.containers.list(filters={"label": LABEL_OWNER})
             if c.labels[LABEL_OWNER].split(":")[1] == str(pid)]
    assert owned, f"no container is owned by process {pid}"
    return owned[0].labels[LABEL_RUN]


def _leftovers(client: docker.DockerClient, run_id: str) -> list[str]:
    selector = {"label": f"{LABEL_RUN}={run_id}"}
    return ([c.name for c in client.containers.list(all=True, filters=selector)]
            + [n.name for n in client.networks.list(filters=selector)]
            + [v.name for v in client.volumes.list(filters=selector)])


@pytest.mark.parametrize(("sent", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_a_stopped_run_writes_what_it_gathered_and_exits_with_the_signal_status(
        tmp_path: Path, sent: signal.Signals, status: int) -> None:
    client = docker.from_env()
    process, log = _start_run(tmp_path)
    run_id = _run_id(client, process.pid)
    time.sleep(3)  # some history to keep
    os.killpg(process.pid, sent)
    assert process.wait(120) == status, log.read_text(errors="replace")
    (journal_path,) = (tmp_path / "reports").glob("*/journal.json")
    journal = json.loads(journal_path.read_text())
    assert journal["meta"]["interrupted"].endswith("SIGTERM" if sent == signal.SIGTERM else "Ctrl-C")
    assert not journal["outcome"]["passed"]
    assert [v["inconclusive"] for v in journal["verdicts"]] == [True]
    assert journal["verdicts"][0]["summary"].startswith("not judged: the run was interrupted")
    assert sum(e["kind"] == "tcp.connect" for e in journal["events"]) > 4
    assert (journal_path.parent / "report.html").exists() and (journal_path.parent / "junit.xml").exists()
    assert _leftovers(client, run_id) == []


def test_a_sigkilled_run_is_removed_by_its_reaper_within_10_s(tmp_path: Path) -> None:
    client = docker.from_env()
    process, log = _start_run(tmp_path)
    run_id = _run_id(client, process.pid)
    assert _leftovers(client, run_id)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)
    killed = time.monotonic()
    wait_until(lambda: not _leftovers(client, run_id), timeout=REAPED_WITHIN_S,
               what=f"the reaper to remove run {run_id}")
    print(f"run {run_id} removed {time.monotonic() - killed:.1f} s after SIGKILL")
