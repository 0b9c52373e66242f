"""A Locust master on the host, as its own process (Locust patches the interpreter with gevent,
which the harness's threads must not share).

It listens for workers on the host's address on the public network, writes
Locust's CSV statistics (with history) and the workers' records to the
output folder, and serves the web UI on 127.0.0.1 when asked. Its run time is
bounded, so a master outlives a crashed harness by at most that bound.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from harness.runtime.ports import start_listening, unused_port

# The folder that holds the harness package: a checkout, or site-packages when installed.
# The master imports the harness from there whatever the caller's PYTHONPATH.
REPO = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).resolve().with_name("locustfile.py")
WORKER_LOCUSTFILE = "/app/harness/load/locustfile.py"
# Workers take a few seconds to start and import Locust; past this the run fails.
WORKERS_WAIT_S = 60
STOP_WAIT_S = 20


@dataclass(frozen=True)
class MasterSpec:
    name: str  # file prefix in the output folder: <name>_stats.csv, <name>-records.jsonl
    user_class: str
    workers: int
    users: int
    run_time_s: float  # backstop: the master quits after this whatever happens
    options: list[str] = field(default_factory=list)  # the locustfile's own options
    web_ui: bool = False


class LocustMaster:
    """``reach_at``: the address the harness's own worker containers use (the host on the public
    network); ``bind_host``/``port``: where to listen, when workers on other machines join too."""

    def __init__(self, spec: MasterSpec, reach_at: str, out_dir: Path, *, bind_host: str | None = None,
                 port: int | None = None) -> None:
        self.spec = spec
        self.reach_at = reach_at
        self.bind_host = bind_host or reach_at
        # Chosen when the master starts listening, unless given (workers elsewhere were told it).
        self.port = port or 0
        self.web_port: int | None = None
        self.records = out_dir / f"{spec.name}-records.jsonl"
        self.log = out_dir / f"{spec.name}-master.log"
        self.csv_prefix = out_dir / spec.name
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def ui_url(self) -> str | None:
        return f"http://127.0.0.1:{self.web_port}" if self.web_port else None

    def worker_command(self) -> list[str]:
        """What a worker runs, in a container or on any machine that can reach this master."""
        return ["python", "-m", "locust", "-f", WORKER_LOCUSTFILE, "--worker",
                "--master-host", self.reach_at, "--master-port", str(self.port)]

    def start(self) -> None:
        """Returns once the master listens for workers (and serves its UI, when asked)."""
        self.records.touch()
        count = 2 if self.spec.web_ui else 1
        given = [self.port, *([unused_port("127.0.0.1")] if self.spec.web_ui else [])] if self.port else None
        self._process, chosen = start_listening(self._launch, self.log, count, ports=given, host=self.bind_host)
        self.port = chosen[0]
        self.web_port = chosen[1] if self.spec.web_ui else None

    def _launch(self, ports: list[int]) -> subprocess.Popen[bytes]:
        spec = self.spec
        mode = (["--autostart", "--web-host", "127.0.0.1", "--web-port", str(ports[1])]
                if spec.web_ui else ["--headless", "--only-summary"])
        argv = [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--master",
            "--master-bind-host", self.bind_host, "--master-bind-port", str(ports[0]),
            "--expect-workers", str(spec.workers), "--expect-workers-max-wait", str(WORKERS_WAIT_S),
            "-u", str(spec.users), "-r", str(spec.users), "--run-time", f"{int(spec.run_time_s) + 1}s",
            # Refused attempts are Locust failures; they are the point, not an error of the run.
            "--exit-code-on-error", "0",
            "--csv", str(self.csv_prefix), "--csv-full-history",
            "--records", str(self.records), *mode, *spec.options, spec.user_class,
        ]
        with self.log.open("ab") as log:
            return subprocess.Popen(
                # The caller's working folder: the output paths may be relative to it.
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def wait(self, timeout_s: float) -> bool:
        """True once the process has exited."""
        if self._process is None:
            return True
        try:
            self._process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self) -> None:
        """SIGTERM: Locust stops its workers, takes their last reports and writes the CSV files."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        if not self.wait(STOP_WAIT_S):
            self._process.kill()
            self._process.wait()

    def log_tail(self, lines: int = 25) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
