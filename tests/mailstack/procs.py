"""Real processes on loopback for the mail-stack tests: emulator, API legs, SMTP servers, HAProxy."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from polling import wait_until
from pymongo import MongoClient
from pymongo.errors import PyMongoError

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
API_KEY = "test-operator-key"
DOMAIN = "mailstack.test"


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def emulator_available() -> bool:
    return (REPO / "fixtures" / "mongoemu" / "__main__.py").exists()


@dataclass
class Service:
    """One started process; ``log`` holds its stdout and stderr."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    ready: Callable[[], bool]
    process: subprocess.Popen[bytes] | None = None
    starts: int = field(default=0)

    def start(self, timeout: float = 20.0) -> Service:
        assert self.process is None or self.process.poll() is not None, f"{self.name} is already running"
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n--- start #{self.starts} ---\n".encode())
            self.process = subprocess.Popen(
                self.argv,
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def up() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            return self.ready()

        wait_until(up, timeout=timeout, interval=0.05, what=f"{self.name} to be ready")
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def _mongo_ok(uri: str) -> Callable[[], bool]:
    def check() -> bool:
        client: MongoClient[dict[str, Any]] = MongoClient(
            uri, serverSelectionTimeoutMS=300, connectTimeoutMS=300
        )
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            return False
        finally:
            client.close()

    return check


def emulator(port: int, log_dir: Path) -> Service:
    uri = f"mongodb://127.0.0.1:{port}"
    return Service(
        name=f"mongoemu:{port}",
        argv=[
            PYTHON,
            "-m",
            "fixtures.mongoemu",
            "--standalone",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--me",
            f"127.0.0.1:{port}",
        ],
        env=dict(os.environ),
        log=log_dir / f"mongoemu-{port}.log",
        ready=_mongo_ok(uri),
    )


def api_leg(name: str, port: int, log_dir: Path, **settings: str) -> Service:
    env = {
        **os.environ,
        "API_LEG": name,
        "API_HOST": "127.0.0.1",
        "API_PORT": str(port),
        "API_KEY": API_KEY,
        "LOG_LEVEL": "INFO",
        **settings,
    }
    return Service(
        name=f"api {name}",
        argv=[PYTHON, "-m", "fixtures.mailstack.api"],
        env=env,
        log=log_dir / f"api-{name}.log",
        ready=_http_ok(f"http://127.0.0.1:{port}/healthz"),
    )


def smtp_server(
    name: str, port: int, metrics_port: int, spool: Path, log_dir: Path, **settings: str
) -> Service:
    env = {
        **os.environ,
        "SMTP_SERVER_NAME": name,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_METRICS_PORT": str(metrics_port),
        "MAIL_DOMAINS": DOMAIN,
        "SPOOL_DIR": str(spool),
        "SPOOL_DRAIN_INTERVAL_MS": "200",
        "LOG_LEVEL": "INFO",
        **settings,
    }
    return Service(
        name=f"smtp {name}",
        argv=[PYTHON, "-m", "fixtures.mailstack.smtp_server"],
        env=env,
        log=log_dir / f"smtp-{name}.log",
        ready=_http_ok(f"http://127.0.0.1:{metrics_port}/healthz"),
    )


def haproxy(config: Path, stats_port: int, log_dir: Path) -> Service:
    binary = shutil.which("haproxy")
    assert binary is not None
    return Service(
        name="haproxy",
        argv=[binary, "-db", "-f", str(config)],
        env=dict(os.environ),
        log=log_dir / "haproxy.log",
        ready=_http_ok(f"http://127.0.0.1:{stats_port}/healthz"),
    )


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
