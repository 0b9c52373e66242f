"""Real processes on loopback for the mail-stack tests: emulator, API legs, SMTP servers, HAProxy."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from harness.runtime.ports import start_listening

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
API_KEY = "test-operator-key"
DOMAIN = "mailstack.test"


def emulator_available() -> bool:
    return (REPO / "fixtures" / "mongoemu" / "__main__.py").exists()


Ports = dict[str, int]
Launch = tuple[list[str], dict[str, str]]  # argv, environment


@dataclass(eq=False)
class Service:
    """One process on loopback; ``log`` holds its stdout and stderr.

    Its ports are picked at its first start (and picked again when it loses a
    bind to another process) and kept for restarts. It is ready when the kernel
    says it is the process listening on them *and* it answers there, so a start
    never passes on another process that took one of its ports.
    """

    name: str
    port_names: tuple[str, ...]
    launch: Callable[[Ports], Launch]
    answers: Callable[[Ports], bool]
    log: Path
    ports: Ports = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    starts: int = field(default=0)

    @property
    def port(self) -> int:
        return self.ports[self.port_names[0]]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 20.0) -> Service:
        assert not self.running, f"{self.name} is already running"
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n--- start #{self.starts} ---\n".encode())
        kept = [self.ports[name] for name in self.port_names] if self.ports else None
        self.process, ports = start_listening(
            self._launch,
            self.log,
            len(self.port_names),
            ports=kept,
            ready=lambda ports: self.answers(self._named(ports)),
            timeout_s=timeout,
        )
        self.ports = self._named(ports)
        _STARTED.add(self)
        return self

    def _named(self, ports: list[int]) -> Ports:
        return dict(zip(self.port_names, ports, strict=True))

    def _launch(self, ports: list[int]) -> subprocess.Popen[bytes]:
        argv, env = self.launch(self._named(ports))
        with self.log.open("ab") as out:
            return subprocess.Popen(
                argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        _STARTED.discard(self)
        if not self.running:
            return
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def exit_report(self) -> str:
        assert self.process is not None
        return (
            f"{self.name} (pid {self.process.pid}, ports {self.ports or 'not yet chosen'}) exited with "
            f"status {self.process.returncode}; its last lines ({self.log}):\n{self.tail(20)}"
        )

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


# Services started and not stopped since: each must still be running when a test starts.
_STARTED: set[Service] = set()


def unexpected_exits() -> list[str]:
    """What each service that exited without being stopped last said."""
    return [service.exit_report() for service in _STARTED if not service.running]


def _http_ok(url: Callable[[Ports], str]) -> Callable[[Ports], bool]:
    def check(ports: Ports) -> bool:
        try:
            return httpx.get(url(ports), timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def _mongo_ok(ports: Ports) -> bool:
    client: MongoClient[dict[str, Any]] = MongoClient(
        f"mongodb://127.0.0.1:{ports['mongo']}", serverSelectionTimeoutMS=300, connectTimeoutMS=300
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def emulator(name: str, log_dir: Path) -> Service:
    """A standalone emulator; its URI is ``mongo_uri(service)`` once started."""

    def launch(ports: Ports) -> Launch:
        port = str(ports["mongo"])
        argv = [PYTHON, "-m", "fixtures.mongoemu", "--standalone", "--bind", "127.0.0.1", "--port", port,
                "--me", f"127.0.0.1:{port}"]
        return argv, dict(os.environ)

    return Service(f"mongoemu {name}", ("mongo",), launch, _mongo_ok, log_dir / f"mongoemu-{name}.log")


def mongo_uri(service: Service) -> str:
    return f"mongodb://127.0.0.1:{service.port}"


def api_leg(name: str, log_dir: Path, **settings: str) -> Service:
    def launch(ports: Ports) -> Launch:
        env = {**os.environ, "API_LEG": name, "API_HOST": "127.0.0.1", "API_PORT": str(ports["http"]),
               "API_KEY": API_KEY, "LOG_LEVEL": "INFO", **settings}
        return [PYTHON, "-m", "fixtures.mailstack.api"], env

    ready = _http_ok(lambda ports: f"http://127.0.0.1:{ports['http']}/healthz")
    return Service(f"api {name}", ("http",), launch, ready, log_dir / f"api-{name}.log")


def base_url(service: Service) -> str:
    return f"http://127.0.0.1:{service.port}"


def smtp_server(name: str, spool: Path, log_dir: Path, **settings: str) -> Service:
    """Ports ``smtp`` and ``metrics``."""

    def launch(ports: Ports) -> Launch:
        env = {
            **os.environ,
            "SMTP_SERVER_NAME": name,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(ports["smtp"]),
            "SMTP_METRICS_PORT": str(ports["metrics"]),
            "MAIL_DOMAINS": DOMAIN,
            "SPOOL_DIR": str(spool),
            "SPOOL_DRAIN_INTERVAL_MS": "200",
            "LOG_LEVEL": "INFO",
            **settings,
        }
        return [PYTHON, "-m", "fixtures.mailstack.smtp_server"], env

    ready = _http_ok(lambda ports: f"http://127.0.0.1:{ports['metrics']}/healthz")
    return Service(f"smtp {name}", ("smtp", "metrics"), launch, ready, log_dir / f"smtp-{name}.log")


def haproxy(render: Callable[[Ports], Path], log_dir: Path, name: str = "haproxy") -> Service:
    """Ports ``front`` and ``stats``; ``render(ports)`` writes the haproxy.cfg for them."""
    binary = shutil.which("haproxy")
    assert binary is not None

    def launch(ports: Ports) -> Launch:
        return [binary, "-db", "-f", str(render(ports))], dict(os.environ)

    ready = _http_ok(lambda ports: f"http://127.0.0.1:{ports['stats']}/healthz")
    return Service(name, ("front", "stats"), launch, ready, log_dir / f"{name}.log")


def haproxy_server_status(stats_url: str) -> dict[str, str]:
    """Each API leg's state as HAProxy sees it (UP, DOWN, ...), from its stats CSV."""
    text = httpx.get(f"{stats_url}/stats;csv", timeout=2).text.lstrip("# ")
    return {
        row["svname"]: row["status"]
        for row in csv.DictReader(io.StringIO(text))
        if row["pxname"] == "api_legs"
    }


def smtp_metrics(metrics_port: int) -> dict[str, Any]:
    return dict(httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2).json())


@dataclass
class Stack:
    """Services started for a test module, stopped in reverse order."""

    services: list[Service] = field(default_factory=list)

    def add(self, service: Service) -> Service:
        self.services.append(service)
        return service.start()

    def stop_all(self) -> None:
        for service in reversed(self.services):
            service.stop()

    def logs(self) -> Iterator[str]:
        for service in self.services:
            yield f"===== {service.name} ({service.log}) =====\n{service.tail()}"
