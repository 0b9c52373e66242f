"""As-fixed, database lost: mail is still accepted and spooled, lands exactly once, the API heals alone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from polling import wait_until
from pymongo import MongoClient

from fixtures.mailstack.messages import MailMessage
from fixtures.mailstack.settings import DatabaseSettings
from fixtures.mailstack.store import MailStore

from .mail import inbox, inbox_address, message_ids_in, new_message, send
from .procs import (
    Service,
    Stack,
    api_leg,
    base_url,
    emulator,
    mongo_uri,
    smtp_metrics,
    smtp_server,
)

DB_NAME = "outage_fixed"


@dataclass
class OutageStack:
    db: Service
    db_uri: str
    api: Service
    api_url: str
    smtp: Service
    smtp_port: int
    metrics_port: int
    spool: Path


@pytest.fixture(scope="module")
def outage(log_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OutageStack]:
    stack = Stack()
    spool = tmp_path_factory.mktemp("spool-fixed")
    try:
        db = stack.add(emulator("fixed", log_dir))
        settings = {"ARCH": "as-fixed", "MONGO_URI": mongo_uri(db), "MONGO_DB": DB_NAME, "DB_TIMEOUT_MS": "500"}
        api = stack.add(api_leg("api-fixed", log_dir, **settings))
        smtp = stack.add(smtp_server("smtp-fixed", spool, log_dir, **settings))
        yield OutageStack(
            db, mongo_uri(db), api, base_url(api), smtp, smtp.ports["smtp"], smtp.ports["metrics"], spool
        )
    finally:
        stack.stop_all()


def _spooled_message(spool: Path, message_id: str) -> MailMessage:
    for path in (spool / "ready").iterdir():
        message = MailMessage.model_validate_json(path.read_bytes())
        if message.message_id == message_id:
            return message
    raise AssertionError(f"{message_id} is not in the spool")


def _store_directly(db_uri: str, message: MailMessage) -> None:
    async def insert() -> None:
        store = MailStore.connect(
            DatabaseSettings(db_uri, DB_NAME, 2.0), app_name="test", majority_writes=True
        )
        try:
            assert await store.insert_message(message)
        finally:
            await store.close()

    asyncio.run(insert())


def test_database_outage_loses_no_mail_and_the_api_heals_alone(outage: OutageStack) -> None:
    address = inbox_address("outage")
    send(outage.smtp_port, new_message(inbox_address("before")))

    outage.db.stop()
    started = time.monotonic()
    first_batch = [send(outage.smtp_port, new_message(address, subject=f"during {n}")) for n in range(5)]
    # The first waits out the 500 ms database timeout; the rest go straight to the spool
    # (the bound leaves room for a loaded machine).
    assert time.monotonic() - started < 3.0
    metrics = smtp_metrics(outage.metrics_port)
    assert (metrics["spooled"], metrics["spool_pending"]) == (5, 5)

    started = time.monotonic()
    response = inbox(outage.api_url, address)
    assert response.status_code == 503 and time.monotonic() - started < 2.0
    assert httpx.get(f"{outage.api_url}/readyz", timeout=5).status_code == 503

    # Crash mid-spool; the restarted server keeps the spool and keeps accepting.
    outage.smtp.kill()
    outage.smtp.start()
    assert smtp_metrics(outage.metrics_port)["spool_pending"] == 5
    second_batch = [
        send(outage.smtp_port, new_message(address, subject=f"after restart {n}")) for n in range(5)
    ]
    assert smtp_metrics(outage.metrics_port)["spool_pending"] == 10

    # Crash again, then the database returns. One message reached the database
    # before the crash but its spool file survived: it must not be stored twice.
    outage.smtp.kill()
    outage.db.start()
    _store_directly(outage.db_uri, _spooled_message(outage.spool, second_batch[0]))
    outage.smtp.start()  # drains on start

    wait_until(
        lambda: smtp_metrics(outage.metrics_port)["spool_pending"] == 0, timeout=10, what="the spool to drain"
    )
    metrics = smtp_metrics(outage.metrics_port)
    assert (metrics["drained"], metrics["stored"], metrics["duplicates"]) == (10, 9, 1)

    wait_until(
        lambda: httpx.get(f"{outage.api_url}/readyz", timeout=5).status_code == 200,
        timeout=5,
        what="the API to recover by itself",
    )
    assert outage.api.starts == 1
    expected = first_batch + second_batch
    assert sorted(message_ids_in(outage.api_url, address)) == sorted(expected)
    client: MongoClient[dict[str, Any]] = MongoClient(outage.db_uri, serverSelectionTimeoutMS=2000)
    with client:
        messages = client[DB_NAME]["messages"]
        assert [messages.count_documents({"message_id": m}) for m in expected] == [1] * len(expected)
