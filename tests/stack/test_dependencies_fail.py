"""When what the harness itself depends on fails mid-run (a Toxiproxy container, the Docker
engine, the reports folder), the run ends with a message naming it, exit 2, and no stack left."""

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

from harness.cli import main
from harness.runtime.engine import docker_client, ensure_engine
from harness.stack.cleanup import LABEL_OWNER, LABEL_RUN

pytestmark = pytest.mark.docker

SCENARIO = Path(__file__).parent / "data" / "two_echoes.yaml"
ENDS_WITHIN_S = 90


def _start_run(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path, str]:
    log = tmp_path / "outage.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "run", str(SCENARIO), "--reports", str(tmp_path / "reports")],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "TESTCONTAINERS_RYUK_DISABLED": "true", "COLUMNS": "200"},
        )
    wait_until(lambda: "t=" in log.read_text(errors="replace") or process.poll() is not None, timeout=240,
               what="the run's timeline to start")
    assert process.poll() is None, log.read_text(errors="replace")
    owned = [c for c in docker.from_env().containers.list(filters={"label": LABEL_OWNER})
             if c.labels[LABEL_OWNER].split(":")[1] == str(process.pid)]
    return process, log, owned[0].labels[LABEL_RUN]


def _leftovers(run_id: str) -> list[str]:
    client = docker.from_env()
    selector = {"label": f"{LABEL_RUN}={run_id}"}
    return [c.name for c in client.containers.list(all=True, filters=selector)] + \
        [n.name for n in client.networks.list(filters=selector)]


def _ended(process: subprocess.Popen[bytes], log: Path) -> tuple[int, str]:
    try:
        status = process.wait(ENDS_WITHIN_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError(f"the run hung:\n{log.read_text(errors='replace')}") from None
    return status, " ".join(log.read_text(errors="replace").split())


def _journal(tmp_path: Path) -> dict:
    (path,) = (tmp_path / "reports").glob("*/journal.json")
    return json.loads(path.read_text())


def test_a_reports_folder_that_cannot_be_written_is_refused_before_anything_starts(tmp_path, capsys) -> None:
    not_a_folder = tmp_path / "reports"
    not_a_folder.write_text("a file where the reports would go")
    assert main(["run", str(SCENARIO), "--reports", str(not_a_folder)]) == 2
    out = " ".join(capsys.readouterr().out.split())
    assert f"cannot write to the reports folder {not_a_folder}" in out and "--reports DIR" in out


def test_a_killed_toxiproxy_ends_the_run_naming_it(tmp_path: Path) -> None:
    process, log, run_id = _start_run(tmp_path)
    docker.from_env().containers.get(f"outage-{run_id}-toxiproxy-0").kill()
    status, output = _ended(process, log)
    assert status == 2, output
    assert f"the Toxiproxy container outage-{run_id}-toxiproxy-0 is gone" in output
    assert "Toxiproxy" in _journal(tmp_path)["meta"]["interrupted"]
    assert _leftovers(run_id) == []


def test_a_restarted_docker_engine_ends_the_run_naming_it(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("restarting the Docker engine needs root")
    dockerd = subprocess.run(["pidof", "dockerd"], capture_output=True, text=True).stdout.split()
    if len(dockerd) != 1:
        pytest.skip("no single dockerd process on this machine to restart")
    process, log, run_id = _start_run(tmp_path)
    os.kill(int(dockerd[0]), signal.SIGTERM)
    wait_until(lambda: subprocess.run(["pidof", "dockerd"], capture_output=True).returncode != 0, timeout=60,
               what="dockerd to stop")
    time.sleep(2)  # the harness notices the engine gone before it is back
    ensure_engine(print, tmp_path)
    status, output = _ended(process, log)
    assert status == 2, output
    # Which loss the watchdog sees first depends on how far the engine got in stopping the
    # run's containers (Toxiproxy's or a node's) before it stopped answering.
    assert "the Docker engine stopped answering" in output or "was the Docker engine restarted?" in output, output
    assert _journal(tmp_path)["meta"]["interrupted"]
    docker_client()  # the engine answers again
    assert _leftovers(run_id) == []
