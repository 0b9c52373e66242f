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
from polling import wait_until

from fixtures.mailstack.haproxy import FrontOptions, HealthCheck, Leg, Timeouts, write_bundle

from harness.runtime.ports import refusing_port

from .procs import (
    Service,
    Stack,
    api_leg,
    base_url,
    emulator,
    emulator_available,
    haproxy,
    haproxy_server_status,
    mongo_uri,
    smtp_server,
    unexpected_exits,
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


@pytest.fixture(autouse=True)
def services_still_running() -> Iterator[None]:
    """A service a test relies on that died fails the next test with its exit status and last
    lines, rather than with a connection refused by the port it left."""

    def check(when: str) -> None:
        if exits := unexpected_exits():
            pytest.fail(f"a service exited {when}:\n\n" + "\n\n".join(exits), pytrace=False)

    check("before this test")
    yield
    check("during this test")


@pytest.fixture(scope="session")
def shared_db(log_dir: Path) -> Iterator[str]:
    """A MongoDB URI that stays reachable for the whole session (the wire-compatible emulator)."""
    if not emulator_available():
        pytest.fail("fixtures/mongoemu is missing: these tests need the MongoDB emulator")
    service = emulator("shared", log_dir).start()
    try:
        yield mongo_uri(service)
    finally:
        service.stop()


def front_proxy(
    directory: Path, legs: dict[str, int], log_dir: Path, *, status_page_url: str | None, name: str = "haproxy"
) -> Service:
    """HAProxy over loopback legs (leg name -> port); its ports are ``front`` and ``stats``."""

    def render(ports: dict[str, int]) -> Path:
        options = FrontOptions(
            bind=f"127.0.0.1:{ports['front']}",
            stats_bind=f"127.0.0.1:{ports['stats']}",
            timeouts=Timeouts(server_ms=3000),
            health_check=HEALTH_CHECK,
            log_to_stdout=False,
        )
        return write_bundle(
            directory,
            [Leg(leg, "127.0.0.1", port) for leg, port in legs.items()],
            status_page_url=status_page_url,
            options=options,
        )

    return haproxy(render, log_dir, name)


@pytest.fixture(scope="session")
def fixed_stack(
    shared_db: str, log_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FixedStack]:
    stack = Stack()
    db = {"ARCH": "as-fixed", "MONGO_URI": shared_db, "MONGO_DB": "flow", "STATUS_PAGE_URL": STATUS_PAGE}
    try:
        legs = [stack.add(api_leg("api-1", log_dir, **db)), stack.add(api_leg("api-2", log_dir, **db))]
        with refusing_port() as nowhere:
            sick = {**db, "MONGO_URI": f"mongodb://127.0.0.1:{nowhere}", "DB_TIMEOUT_MS": "300"}
            legs.append(stack.add(api_leg("api-sick", log_dir, **sick)))
            smtp = stack.add(
                smtp_server(
                    "smtp-1",
                    tmp_path_factory.mktemp("spool-1"),
                    log_dir,
                    **db,
                    BLOCKLIST_POLL_INTERVAL_MS="200",
                    DB_TIMEOUT_MS="1000",
                    SMTP_MAX_RECIPIENTS="3",
                    SMTP_MAX_MESSAGE_BYTES="20000",
                )
            )
            leg_urls = {leg.name.removeprefix("api "): base_url(leg) for leg in legs}
            front, stats = leg_urls["api-1"], None
            if shutil.which("haproxy"):
                ports = {leg.name.removeprefix("api "): leg.port for leg in legs}
                proxy = stack.add(
                    front_proxy(tmp_path_factory.mktemp("haproxy"), ports, log_dir, status_page_url=STATUS_PAGE)
                )
                front = f"http://127.0.0.1:{proxy.ports['front']}"
                stats = f"http://127.0.0.1:{proxy.ports['stats']}"
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
                legs=leg_urls,
                smtp_port=smtp.ports["smtp"],
                smtp_metrics_port=smtp.ports["metrics"],
                haproxy_stats=stats,
                max_recipients=3,
                max_message_bytes=20000,
            )
    finally:
        stack.stop_all()
