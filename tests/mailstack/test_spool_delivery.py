"""The spool and the promise behind a 250: stored or durable, drained exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from fixtures.mailstack.delivery import Delivery
from fixtures.mailstack.messages import MailMessage
from fixtures.mailstack.metrics import SmtpCounters
from fixtures.mailstack.sinks import MessageRejected, SinkUnavailable
from fixtures.mailstack.spool import Spool, SpoolError

from .mail import arrived_message


def _message(n: int) -> MailMessage:
    return arrived_message(f"<{n}@t>")


class FakeSink:
    """A database keyed on Message-ID that can be switched off."""

    name = "fake"

    def __init__(self) -> None:
        self.up = True
        self.documents: dict[str, MailMessage] = {}
        self.refuses: set[str] = set()  # Message-IDs it will never take

    async def store(self, message: MailMessage) -> bool:
        return await self.store_batch([message]) == 1

    async def store_batch(self, messages: Sequence[MailMessage]) -> int:
        if not self.up:
            raise SinkUnavailable("down")
        new = 0
        for message in messages:
            if message.message_id in self.refuses:
                continue
            new += message.message_id not in self.documents
            self.documents.setdefault(message.message_id, message)
        if any(m.message_id in self.refuses for m in messages):
            raise MessageRejected("too large")
        return new


def test_spool_survives_a_restart_and_drops_unacknowledged_leftovers(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.prepare()
    spool.put(_message(1))
    spool.put(_message(2))
    (tmp_path / "tmp" / "half-written.json").write_text("{")
    reopened = Spool(tmp_path)
    reopened.prepare()
    assert reopened.pending == 2
    assert not list((tmp_path / "tmp").iterdir())
    loaded = [reopened.load(p) for p in reopened.oldest(10)]
    assert [m.message_id for m in loaded if m] == ["<1@t>", "<2@t>"]


def test_an_unreadable_spool_file_is_moved_aside(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.prepare()
    (tmp_path / "ready" / "0001-bad.json").write_text("not json")
    spool = Spool(tmp_path)
    spool.prepare()
    assert spool.load(spool.oldest(1)[0]) is None
    assert spool.pending == 0
    assert (tmp_path / "rejected" / "0001-bad.json").exists()


def test_spool_directory_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SpoolError, match="not usable"):
        Spool(blocker / "spool").prepare()


def test_sink_down_spools_then_drains_each_message_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        sink, counters, spool = FakeSink(), SmtpCounters(), Spool(tmp_path)
        spool.prepare()
        delivery = Delivery(sink, spool, counters, spool_while_sink_down=True, drain_interval_s=0.01)
        await delivery.accept(_message(0))
        sink.up = False
        for n in range(1, 6):
            await delivery.accept(_message(n))
        assert (counters.stored, counters.spooled, spool.pending) == (1, 5, 5)
        sink.up = True
        # Until a drain succeeds the sink is presumed down: no timeout waited per message.
        await delivery.accept(_message(6))
        assert spool.pending == 6
        # A message stored before a crash but still spooled: drained as a duplicate.
        await sink.store(_message(3))
        while await delivery.drain_batch():
            pass
        assert spool.pending == 0
        # The sink answered again: new mail goes straight to it.
        await delivery.accept(_message(7))
        assert (spool.pending, counters.spooled) == (0, 6)
        assert sorted(sink.documents) == sorted(f"<{n}@t>" for n in range(8))
        assert (counters.drained, counters.duplicates) == (6, 1)

    asyncio.run(scenario())


def test_a_message_the_sink_refuses_is_set_aside_without_blocking_the_spool(tmp_path: Path) -> None:
    async def scenario() -> None:
        sink, counters, spool = FakeSink(), SmtpCounters(), Spool(tmp_path)
        spool.prepare()
        delivery = Delivery(sink, spool, counters, spool_while_sink_down=True, drain_interval_s=0.01)
        sink.up = False
        for n in range(3):
            await delivery.accept(_message(n))
        sink.up, sink.refuses = True, {"<1@t>"}
        while await delivery.drain_batch():
            pass
        assert sorted(sink.documents) == ["<0@t>", "<2@t>"]
        assert (spool.pending, counters.rejected, counters.drained) == (0, 1, 2)
        assert len(list((tmp_path / "rejected").iterdir())) == 1
        with pytest.raises(MessageRejected):  # at SMTP time the client hears 554 instead
            await delivery.accept(_message(1))

    asyncio.run(scenario())
