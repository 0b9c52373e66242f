"""Group commit: concurrent messages share an insert, and each gets its own answer."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandFailedEvent, CommandListener, CommandStartedEvent, CommandSucceededEvent

from fixtures.mailstack.messages import MailMessage
from fixtures.mailstack.settings import DatabaseSettings
from fixtures.mailstack.sinks import DatabaseSink, MessageRejected, SinkUnavailable
from fixtures.mailstack.store import MailStore
from harness.runtime.ports import refusing_port

from .mail import arrived_message


class InsertCounter(CommandListener):
    def __init__(self) -> None:
        self.inserts: list[int] = []  # documents per insert command

    def started(self, event: CommandStartedEvent) -> None:
        if event.command_name == "insert":
            self.inserts.append(len(event.command["documents"]))

    def succeeded(self, event: CommandSucceededEvent) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass


def _message(tag: str) -> MailMessage:
    return arrived_message(f"<{tag}@group-commit>", subject=tag)


def _store(uri: str, counter: InsertCounter, database: str) -> MailStore:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        uri, timeoutMS=5000, tz_aware=True, event_listeners=[counter]
    )
    return MailStore(client, database, majority_writes=False)


def test_concurrent_messages_share_one_insert(shared_db: str) -> None:
    counter, database = InsertCounter(), f"group_{uuid.uuid4().hex[:8]}"
    messages = [_message(f"many-{n}") for n in range(20)]

    async def scenario() -> list[bool]:
        store = _store(shared_db, counter, database)
        try:
            sink = DatabaseSink(store)
            return await asyncio.gather(*(sink.store(message) for message in messages))
        finally:
            await store.close()

    assert asyncio.run(scenario()) == [True] * 20
    assert sum(counter.inserts) == 20 and len(counter.inserts) <= 2, counter.inserts


def test_each_message_of_a_batch_gets_its_own_answer(shared_db: str) -> None:
    counter, database = InsertCounter(), f"group_{uuid.uuid4().hex[:8]}"
    stored_before, fresh = _message("before"), _message("fresh")
    # Over MongoDB's 16 MiB document limit: built around the model's own limits, as a
    # message from a future version of the server might be.
    oversized = MailMessage.model_construct(**{**_message("huge").model_dump(), "body": "x" * (17 << 20)})

    async def scenario() -> list[object]:
        store = _store(shared_db, counter, database)
        try:
            sink = DatabaseSink(store)
            assert await store.insert_messages([]) == 0
            assert await sink.store(stored_before)
            return await asyncio.gather(
                sink.store(fresh), sink.store(stored_before), sink.store(oversized), return_exceptions=True
            )
        finally:
            await store.close()

    new, again, refused = asyncio.run(scenario())
    assert (new, again) == (True, False)
    assert isinstance(refused, MessageRejected)


def test_an_unreachable_database_fails_every_waiting_message() -> None:
    async def scenario(settings: DatabaseSettings) -> list[object]:
        store = MailStore.connect(settings, app_name="test", majority_writes=True)
        try:
            sink = DatabaseSink(store)
            messages = [_message(f"lost-{n}") for n in range(5)]
            return await asyncio.gather(*(sink.store(m) for m in messages), return_exceptions=True)
        finally:
            await store.close()

    with refusing_port() as nowhere:
        outcomes = asyncio.run(scenario(DatabaseSettings(f"mongodb://127.0.0.1:{nowhere}", "nowhere", timeout_s=0.3)))
    assert all(isinstance(outcome, SinkUnavailable) for outcome in outcomes), outcomes
