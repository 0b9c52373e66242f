"""Shared fixtures: one emulated MongoDB and one as-fixed stack that stay up for the session.

The as-fixed stack: two healthy API legs and one leg whose database is
unreachable, all behind real HAProxy (when installed), and one SMTP server
writing to the database directly.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures.mailstack.haproxy import FrontOptions, HealthCheck, Leg, Timeouts, write_bundle

from .procs import (
    Stack,
    api_leg,
    emulator,
    emulator_available,
    free_port,
    haproxy,
    haproxy_server_status,
    smtp_server,
    wait_until,
)

STATUS_PAGE = "https://status.mailstack.test/"
HEALTH_CHECK = HealthCheck(interval_ms=200, fall=2, rise=2)


@dataclass(frozen=True)
class FixedStack:
    db_uri: str
    db_name: str
    front: str  # HAProxy when installed, else the first leg
    legs: dict[str, str]  # leg name -> base URL; "api-sick" cannot reach its database
    smtp_port: int
    smtp_metrics_port: int
    haproxy_stats: str | None
    max_recipients: int
    max_message_bytes: int


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mailstack-logs")


@pytest.fixture(scope="session")
def shared_db(log_dir: Path) -> Iterator[str]:
    """A MongoDB URI that stays reachable for the whole session (the wire-compatible emulator)."""
    if not emulator_available():
        pytest.fail("fixtures/mongoemu is missing: these tests need the MongoDB emulator")
    port = free_port()
    service = emulator(port, log_dir).start()
    try:
        yield f"mongodb://127.0.0.1:{port}"
    finally:
        service.stop()


def render_front(
    directory: Path, legs: dict[str, int], *, status_page_url: str | None
) -> tuple[Path, int, int]:
    """A haproxy.cfg over loopback legs; returns (config, front port, stats port)."""
    front_port, stats_port = free_port(), free_port()
    options = FrontOptions(
        bind=f"127.0.0.1:{front_port}",
        stats_bind=f"127.0.0.1:{stats_port}",
        timeouts=Timeouts(server_ms=3000),
        health_check=HEALTH_CHECK,
        log_to_stdout=False,
    )
    config = write_bundle(
        directory,
        [Leg(name, "127.0.0.1", port) for name, port in legs.items()],
        status_page_url=status_page_url,
        options=options,
    )
    return config, front_port, stats_port


@pytest.fixture(scope="session")
def fixed_stack(
    shared_db: str, log_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FixedStack]:
    stack = Stack()
    db = {"ARCH": "as-fixed", "MONGO_URI": shared_db, "MONGO_DB": "flow", "STATUS_PAGE_URL": STATUS_PAGE}
    ports = {"api-1": free_port(), "api-2": free_port(), "api-sick": free_port()}
    smtp_port, metrics_port = free_port(), free_port()
    try:
        stack.add(api_leg("api-1", ports["api-1"], log_dir, **db))
        stack.add(api_leg("api-2", ports["api-2"], log_dir, **db))
        nowhere = f"mongodb://127.0.0.1:{free_port()}"
        stack.add(
            api_leg(
                "api-sick", ports["api-sick"], log_dir, **{**db, "MONGO_URI": nowhere, "DB_TIMEOUT_MS": "300"}
            )
        )
        stack.add(
            smtp_server(
                "smtp-1",
                smtp_port,
                metrics_port,
                tmp_path_factory.mktemp("spool-1"),
                log_dir,
                **db,
                BLOCKLIST_POLL_INTERVAL_MS="200",
                DB_TIMEOUT_MS="1000",
                SMTP_MAX_RECIPIENTS="3",
                SMTP_MAX_MESSAGE_BYTES="20000",
            )
        )
        front, stats = f"http://127.0.0.1:{ports['api-1']}", None
        if shutil.which("haproxy"):
            config, front_port, stats_port = render_front(
                tmp_path_factory.mktemp("haproxy"), ports, status_page_url=STATUS_PAGE
            )
            stack.add(haproxy(config, stats_port, log_dir))
            front, stats = f"http://127.0.0.1:{front_port}", f"http://127.0.0.1:{stats_port}"
            # HAProxy starts every leg UP; wait for its checks to take the sick one out.
            wait_until(
                lambda: haproxy_server_status(stats).get("api-sick") == "DOWN",
                timeout=5,
                what="api-sick DOWN",
            )
        yield FixedStack(
            db_uri=shared_db,
            db_name="flow",
            front=front,
            legs={name: f"http://127.0.0.1:{port}" for name, port in ports.items()},
            smtp_port=smtp_port,
            smtp_metrics_port=metrics_port,
            haproxy_stats=stats,
            max_recipients=3,
            max_message_bytes=20000,
        )
    finally:
        stack.stop_all()
