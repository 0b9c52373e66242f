"""As-was (2018), database lost: mail is spooled, but the API stays broken until it is restarted.

The SMTP server hands mail to the API and fetches the blocklist from it, through
HAProxy when installed. The API's 2018 driver has a small reconnect budget here
(3 tries, 200 ms apart) so it gives up within about a second.
"""

from __future__ import annotations

import asyncio
import shutil
import smtplib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from polling import wait_until
from pymongo import MongoClient

from fixtures.mailstack.settings import DatabaseSettings
from fixtures.mailstack.store import MailStore

from .conftest import front_proxy
from .mail import inbox, inbox_address, message_ids_in, new_message, send, wait_for_inbox
from .procs import (
    API_KEY,
    Service,
    Stack,
    api_leg,
    base_url,
    emulator,
    haproxy_server_status,
    mongo_uri,
    smtp_metrics,
    smtp_server,
)

DB_NAME = "outage_was"


@dataclass
class AsWasStack:
    db: Service
    db_uri: str
    api: Service
    api_url: str
    front: str
    haproxy_stats: str | None
    smtp: Service
    smtp_port: int
    metrics_port: int


@pytest.fixture(scope="module")
def as_was(log_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsWasStack]:
    stack = Stack()
    try:
        db = stack.add(emulator("was", log_dir))
        settings = {"ARCH": "as-was", "MONGO_URI": mongo_uri(db), "MONGO_DB": DB_NAME, "DB_TIMEOUT_MS": "500"}
        api = stack.add(
            api_leg(
                "api-was",
                log_dir,
                **settings,
                DRIVER_RECONNECT_TRIES="3",
                DRIVER_RECONNECT_INTERVAL_MS="200",
            )
        )
        api_url = front = base_url(api)
        stats = None
        if shutil.which("haproxy"):
            proxy = stack.add(
                front_proxy(
                    tmp_path_factory.mktemp("haproxy-was"), {"api-was": api.port}, log_dir, status_page_url=None
                )
            )
            front = f"http://127.0.0.1:{proxy.ports['front']}"
            stats = f"http://127.0.0.1:{proxy.ports['stats']}"
        smtp = stack.add(
            smtp_server(
                "smtp-was",
                tmp_path_factory.mktemp("spool-was"),
                log_dir,
                **settings,
                API_BASE_URL=front,
                API_KEY=API_KEY,
                BLOCKLIST_POLL_INTERVAL_MS="300",
                API_TIMEOUT_MS="1000",
            )
        )
        yield AsWasStack(
            db, mongo_uri(db), api, api_url, front, stats, smtp, smtp.ports["smtp"], smtp.ports["metrics"]
        )
    finally:
        stack.stop_all()


def _refused(port: int, source_ip: str) -> bool:
    try:
        send(port, new_message(inbox_address("probe")), source_ip=source_ip)
    except smtplib.SMTPSenderRefused:
        return True
    return False


def _api_metrics(api_url: str) -> dict[str, Any]:
    return dict(httpx.get(f"{api_url}/metrics", timeout=2).json())


def test_2018_driver_stays_broken_until_the_api_restarts(as_was: AsWasStack) -> None:
    keyed = {"X-Api-Key": API_KEY}
    address = inbox_address("was")

    # Healthy: mail goes through the API's ingest endpoint, the blocklist comes from the API.
    send(as_was.smtp_port, new_message(address, subject="healthy"))
    wait_for_inbox(as_was.front, address)
    assert _api_metrics(as_was.api_url)["ingested"] >= 1
    assert httpx.put(f"{as_was.front}/api/blocklist/127.0.0.2", headers=keyed, timeout=5).status_code == 200
    wait_until(lambda: _refused(as_was.smtp_port, "127.0.0.2"), timeout=3, what="the block via the API")

    as_was.db.stop()
    wait_until(
        lambda: _api_metrics(as_was.api_url)["driver"]["state"] == "destroyed",
        timeout=5,
        what="the driver to give up",
    )
    during = [send(as_was.smtp_port, new_message(address, subject=f"during {n}")) for n in range(3)]
    assert smtp_metrics(as_was.metrics_port)["spool_pending"] == 3

    as_was.db.start()
    time.sleep(1.5)  # several heartbeats, drain attempts and blocklist polls
    response = inbox(as_was.api_url, address)
    assert response.status_code == 500 and "Topology was destroyed" in response.text
    assert httpx.get(f"{as_was.api_url}/readyz", timeout=2).status_code == 503
    assert "Topology was destroyed" in as_was.api.log.read_text()
    assert smtp_metrics(as_was.metrics_port)["spool_pending"] == 3
    if as_was.haproxy_stats:
        assert haproxy_server_status(as_was.haproxy_stats)["api-was"] == "DOWN"
        assert inbox(as_was.front, address).status_code == 503

    # The operator blocks an IP; with the API broken no SMTP server learns of it.
    asyncio.run(_block_in_database(as_was.db_uri, "127.0.0.3"))
    time.sleep(0.8)
    assert not _refused(as_was.smtp_port, "127.0.0.3")

    as_was.api.stop()
    as_was.api.start()
    wait_until(
        lambda: smtp_metrics(as_was.metrics_port)["spool_pending"] == 0, timeout=10, what="the spool to drain"
    )
    wait_until(lambda: _refused(as_was.smtp_port, "127.0.0.3"), timeout=5, what="the block after the restart")
    # The emulator restarted empty, so only the mail accepted during the outage is there.
    assert sorted(message_ids_in(as_was.front, address)) == sorted(during)
    client: MongoClient[dict[str, Any]] = MongoClient(as_was.db_uri, serverSelectionTimeoutMS=2000)
    with client:
        messages = client[DB_NAME]["messages"]
        assert [messages.count_documents({"message_id": m}) for m in during] == [1, 1, 1]


async def _block_in_database(db_uri: str, ip: str) -> None:
    store = MailStore.connect(DatabaseSettings(db_uri, DB_NAME, 2.0), app_name="test", majority_writes=False)
    try:
        await store.block([ip])
    finally:
        await store.close()
