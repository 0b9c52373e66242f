"""The flood's SMTP client against real servers on loopback: aiosmtpd, the stack's
protocol (pipelining and chunking) and the null sink."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from loopback_smtp import LoopbackController

from fixtures.mailstack.smtp_protocol import MailSMTP
from harness.load.smtp_session import Outcome, SmtpSession, Stage
from harness.runtime.ports import refusing_port


BLOCKED = "blocked@attacker.invalid"
BUSY = "busy@attacker.invalid"


class Handler:
    """Refuses one sender outright, turns another away for now, keeps the content of the rest;
    offers PIPELINING (and CHUNKING) when asked to, and notes whether a client used them."""

    def __init__(self, *, pipelining: bool, chunking: bool) -> None:
        self.pipelining = pipelining or chunking
        self.chunking = chunking
        self.contents: list[bytes] = []
        self.peers: set[object] = set()
        self.envelopes_in_one_flight = 0
        self.messages_in_one_flight = 0

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        offered = ["250-PIPELINING"] * self.pipelining + ["250-CHUNKING"] * self.chunking
        return [*responses[:-1], *offered, responses[-1]]

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        self.peers.add(session.peer)
        # Pipelined, the RCPT and DATA lines are already read in when MAIL is answered.
        buffered = server._reader._buffer  # type: ignore[attr-defined]
        self.envelopes_in_one_flight += b"DATA" in buffered
        # Streamed with BDAT, the next message's MAIL is read in with this one.
        self.messages_in_one_flight += b"MAIL FROM" in buffered
        if address == BLOCKED:
            return "554 5.7.1 Client host is blocked"
        if address == BUSY:
            return "451 4.3.0 Try again later"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.contents.append(envelope.original_content or b"")
        return "250 OK queued"


class StackProtocolController(LoopbackController):
    """aiosmtpd's test controller serving the stack's protocol (smtp_protocol.MailSMTP)."""

    def factory(self) -> SMTP:
        return MailSMTP(self.handler, max_line_length=1000, refused=Counter(), clients=defaultdict(Counter))


@pytest.fixture(params=["serial", "pipelining", "chunking"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[Handler, int]]:
    handler = Handler(pipelining=request.param == "pipelining", chunking=request.param == "chunking")
    serving = StackProtocolController if handler.chunking else LoopbackController
    controller = serving(handler)
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def session(port: int) -> SmtpSession:
    return SmtpSession("127.0.0.1", port, helo="test.invalid", timeout_s=5)


MESSAGE = b"Subject: hi\r\n\r\n.leading dot\r\nbody\r\n"


def test_accepted_refused_and_temp_failed_reuse_one_connection(server: tuple[Handler, int]) -> None:
    handler, port = server
    client = session(port)
    accepted = client.attempt("a@sender.invalid", ["u@mailstack.test"], MESSAGE)
    refused = client.attempt(BLOCKED, ["u@mailstack.test"], MESSAGE)
    busy = client.attempt(BUSY, ["u@mailstack.test"], MESSAGE)
    again = client.attempt("a@sender.invalid", ["u@mailstack.test"], MESSAGE)
    client.close()

    assert (accepted.outcome, accepted.code, accepted.stage) == (Outcome.ACCEPTED, 250, Stage.DATA)
    assert (refused.outcome, refused.code, refused.stage) == (Outcome.REFUSED, 554, Stage.MAIL)
    assert refused.sender_refused is True and accepted.sender_refused is False
    assert (busy.outcome, busy.sender_refused) == (Outcome.TEMP_FAILED, None)
    assert again.outcome is Outcome.ACCEPTED
    assert len(handler.peers) == 1, "every attempt should have used the same connection"
    assert accepted.source_ip == "127.0.0.1"
    # Dot-stuffing is undone by the server: the content arrives as sent.
    assert handler.contents[0] == MESSAGE
    assert handler.envelopes_in_one_flight == (4 if handler.pipelining else 0)


def test_a_refused_recipient_abandons_the_message(server: tuple[Handler, int]) -> None:
    handler, port = server
    client = session(port)
    refused = client.attempt("a@sender.invalid", ["u@mailstack.test", "nobody@mailstack.test"], MESSAGE)
    again = client.attempt("a@sender.invalid", ["u@mailstack.test"], MESSAGE)
    client.close()

    assert (refused.outcome, refused.code, refused.stage) == (Outcome.REFUSED, 550, Stage.RCPT)
    assert again.outcome is Outcome.ACCEPTED
    # Pipelined, DATA was already accepted for the other recipient: the client hangs up
    # rather than send the message, so only the second attempt's copy arrives.
    assert handler.contents == [MESSAGE]


def test_messages_sent_together_are_answered_each_in_order(server: tuple[Handler, int]) -> None:
    handler, port = server
    client = session(port)
    sent = [
        ("a@sender.invalid", ["u@mailstack.test"], MESSAGE + b"1\r\n"),
        ("a@sender.invalid", ["u@mailstack.test"], MESSAGE + b"2\r\n"),
        (BLOCKED, ["u@mailstack.test"], MESSAGE + b"3\r\n"),
        ("a@sender.invalid", ["nobody@mailstack.test"], MESSAGE + b"4\r\n"),
        ("a@sender.invalid", ["u@mailstack.test", "v@mailstack.test"], MESSAGE + b"5\r\n"),
    ]
    results = client.attempt_all(sent)
    again = client.attempt_all(sent[:2])
    client.close()

    assert [(r.outcome, r.code, r.stage) for r in results] == [
        (Outcome.ACCEPTED, 250, Stage.DATA),
        (Outcome.ACCEPTED, 250, Stage.DATA),
        (Outcome.REFUSED, 554, Stage.MAIL),
        (Outcome.REFUSED, 550, Stage.RCPT),
        (Outcome.ACCEPTED, 250, Stage.DATA),
    ]
    assert [r.outcome for r in again] == [Outcome.ACCEPTED] * 2
    assert results[2].sender_refused is True and results[3].sender_refused is False
    assert handler.contents == [sent[n][2] for n in (0, 1, 4, 0, 1)]
    assert len(handler.peers) == 1, "every message should have used the same connection"
    # The first message connects and goes alone; with CHUNKING the others go as one stream.
    assert handler.messages_in_one_flight == (4 if handler.chunking else 0)


def test_a_message_refused_for_one_recipient(server: tuple[Handler, int]) -> None:
    handler, port = server
    client = session(port)
    first = client.attempt_all([("a@sender.invalid", ["u@mailstack.test"], MESSAGE)])
    [partly] = client.attempt_all([("a@sender.invalid", ["u@mailstack.test", "nobody@mailstack.test"], MESSAGE)])
    client.close()

    assert [result.outcome for result in first] == [Outcome.ACCEPTED]
    if handler.chunking:
        # Streamed, the message cannot be held back: the server took it for the recipient it accepted.
        assert (partly.outcome, partly.code, partly.stage) == (Outcome.ACCEPTED, 250, Stage.DATA)
        assert handler.contents == [MESSAGE, MESSAGE]
    else:
        assert (partly.outcome, partly.code, partly.stage) == (Outcome.REFUSED, 550, Stage.RCPT)
        assert handler.contents == [MESSAGE]


def test_messages_answered_before_the_server_goes_away_keep_their_answer() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def answer_one_then_reset() -> None:
            connection, _ = listener.accept()
            connection.sendall(b"220 hi\r\n")
            connection.recv(1024)
            connection.sendall(b"250-x\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
            received = 0
            while received < 200_000:  # well into the stream
                received += len(connection.recv(65536))
            connection.sendall(b"250 OK\r\n250 OK\r\n250 OK queued\r\n")
            time.sleep(0.2)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()  # a reset, as a crash gives

        fake = threading.Thread(target=answer_one_then_reset)
        fake.start()
        client = session(listener.getsockname()[1])
        client._connect()
        results = client.attempt_all([("a@sender.invalid", ["u@mailstack.test"], b"x" * 1_000_000 + b"\r\n")] * 8)
        fake.join()
    assert [result.outcome for result in results] == [Outcome.ACCEPTED] + [Outcome.ERROR] * 7


def test_no_server_is_an_error_not_a_refusal() -> None:
    with refusing_port() as nowhere:
        result = session(nowhere).attempt("a@sender.invalid", ["u@mailstack.test"], MESSAGE)
    assert (result.outcome, result.stage, result.code, result.sender_refused) == \
        (Outcome.ERROR, Stage.CONNECT, None, None)


def test_null_sink_accepts_and_counts_every_message(null_sink: tuple[Counter[str], int]) -> None:
    accepted, port = null_sink
    client = session(port)
    results = [client.attempt("a@sender.invalid", ["u@mailstack.test"], content)
               for content in (MESSAGE, b"", b".\r\n", b"x" * 10_000 + b"\r\n")]
    client.close()
    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * 4
    assert accepted == Counter({"127.0.0.1": 4})
