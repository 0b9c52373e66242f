"""The services these tests start on loopback: ready only as themselves, and a death is reported."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.runtime.ports import PortTaken, refusing_port, unused_port

from .procs import api_leg, smtp_server, unexpected_exits


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def another_healthy_server() -> Iterator[int]:
    """Some other process's HTTP server answering 200 on /healthz, as an API leg does."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_an_smtp_server_whose_metrics_port_another_server_holds_is_never_ready(
    another_healthy_server: int, tmp_path: Path
) -> None:
    # The flake of issue 18: the fixture's SMTP server exited on a port another service
    # held, and its readiness check (GET /healthz on that port) passed on the other one.
    with refusing_port() as nowhere:
        smtp = smtp_server("squatted", tmp_path / "spool", tmp_path, MONGO_URI=f"mongodb://127.0.0.1:{nowhere}")
        smtp.ports = {"smtp": unused_port(), "metrics": another_healthy_server}
        with pytest.raises(PortTaken):
            smtp.start()
    assert not smtp.running


def test_a_service_that_dies_is_reported_with_its_exit_status_and_last_lines(tmp_path: Path) -> None:
    with refusing_port() as nowhere:
        leg = api_leg("doomed", tmp_path, MONGO_URI=f"mongodb://127.0.0.1:{nowhere}").start()
    try:
        assert leg.process is not None
        os.kill(leg.process.pid, signal.SIGKILL)
        leg.process.wait(5)
        (report,) = unexpected_exits()
        assert "api doomed" in report and f"status {-signal.SIGKILL}" in report
        assert "--- start #1 ---" in report  # the log's last lines
    finally:
        leg.stop()
    assert unexpected_exits() == []
