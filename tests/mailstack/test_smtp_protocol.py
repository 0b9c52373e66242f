"""Malformed and abusive SMTP input gets the reply a real MX gives, and never kills the server."""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import socket
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from loopback_smtp import LoopbackController

from fixtures.mailstack.smtp_protocol import MailSMTP

from .conftest import FixedStack
from .mail import inbox, inbox_address, new_message, send, wait_for_inbox
from .procs import DOMAIN, smtp_metrics


@pytest.fixture
def client(fixed_stack: FixedStack) -> Iterator[smtplib.SMTP]:
    with smtplib.SMTP("127.0.0.1", fixed_stack.smtp_port, timeout=10) as smtp:
        smtp.ehlo("tester.example.org")
        yield smtp


def _code(reply: tuple[int, bytes]) -> int:
    return reply[0]


def test_relaying_to_other_domains_is_denied(client: smtplib.SMTP) -> None:
    client.mail("a@example.org")
    assert client.rcpt("someone@elsewhere.example") == (
        550,
        b"5.7.1 Relaying denied: elsewhere.example is not served here",
    )
    assert _code(client.rcpt(f"ok@{DOMAIN}")) == 250


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("RCPT TO:<no-at-sign>", 553),
        (f"RCPT TO:<{'x' * 65}@{DOMAIN}>", 553),
        ("RCPT TO:<a@b@c>", 553),
        ("RCPT TO:", 501),
        (f"RCPT TO:<ok@{DOMAIN}> NOTIFY=NEVER", 555),
    ],
)
def test_malformed_recipients(client: smtplib.SMTP, command: str, expected: int) -> None:
    client.mail("a@example.org")
    assert _code(client.docmd(command)) == expected


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("MAIL bob@example.org", 501),
        ("MAIL FROM:<bad@@address>", 553),
        ("MAIL FROM:<a@example.org> SIZE=999999999", 552),
        (f"RCPT TO:<ok@{DOMAIN}>", 503),
        ("DATA", 503),
        ("FROBNICATE", 500),
        ("HELO", 501),
    ],
)
def test_malformed_commands(client: smtplib.SMTP, command: str, expected: int) -> None:
    assert _code(client.docmd(command)) == expected


def test_too_many_recipients(client: smtplib.SMTP, fixed_stack: FixedStack) -> None:
    client.mail("a@example.org")
    for n in range(fixed_stack.max_recipients):
        assert _code(client.rcpt(f"r{n}@{DOMAIN}")) == 250
    assert _code(client.rcpt(f"one-too-many@{DOMAIN}")) == 452


def test_message_over_the_size_limit(client: smtplib.SMTP, fixed_stack: FixedStack) -> None:
    client.mail("a@example.org")
    client.rcpt(f"big@{DOMAIN}")
    reply = client.data(
        b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * (fixed_stack.max_message_bytes // 70 + 10)
    )
    assert _code(reply) == 552


def test_data_line_too_long(client: smtplib.SMTP) -> None:
    client.mail("a@example.org")
    client.rcpt(f"long@{DOMAIN}")
    reply = client.data(b"Subject: long\r\n\r\n" + b"y" * 1200 + b"\r\n")
    assert _code(reply) == 500 and b"too long" in reply[1]


def test_command_line_too_long_and_binary_garbage(client: smtplib.SMTP) -> None:
    assert _code(client.docmd("NOOP " + "z" * 3000)) == 500
    client.send(b"\xff\xfe\x00\x01garbage\r\n")
    assert _code(client.getreply()) == 500
    assert _code(client.noop()) == 250  # the session is still usable


def test_server_survives_abuse_and_counts_refusals(fixed_stack: FixedStack) -> None:
    with socket.create_connection(("127.0.0.1", fixed_stack.smtp_port), timeout=10) as raw:
        raw.recv(1024)
        raw.sendall(b"EHLO x\r\n" + b"\x00" * 5000 + b"\r\nMAIL FROM:<>\r\n\xc3\x28\r\nQUIT\r\n")
        replies = b""
        while chunk := raw.recv(4096):
            replies += chunk
    assert replies.endswith(b"221 Bye\r\n")
    address = inbox_address("after-abuse")
    send(fixed_stack.smtp_port, new_message(address))
    refused = smtp_metrics(fixed_stack.smtp_metrics_port)["refused"]
    assert refused["relay_denied"] >= 1 and refused["malformed_address"] >= 1
    assert refused["too_many_recipients"] >= 1 and refused["message_too_large"] >= 1
    assert refused["line_too_long"] >= 1


def test_message_without_message_id_gets_one(fixed_stack: FixedStack) -> None:
    address = inbox_address("no-id")
    with smtplib.SMTP("127.0.0.1", fixed_stack.smtp_port, timeout=10) as smtp:
        smtp.sendmail("a@example.org", [address], b"Subject: anonymous\r\n\r\nno id here\r\n")
    [stored] = wait_for_inbox(fixed_stack.front, address)
    assert stored["message_id"].endswith("@smtp-1>")


def _replies(raw: socket.socket, count: int) -> tuple[list[bytes], int]:
    """Every line of the next ``count`` replies, and how many reads brought them."""
    data, reads = b"", 0
    while sum(line[3:4] != b"-" for line in data.split(b"\r\n")[:-1]) < count:
        data += raw.recv(4096)
        reads += 1
    return data.split(b"\r\n")[:-1], reads


def _codes(lines: list[bytes]) -> list[bytes]:
    return [line[:3] for line in lines if line[3:4] != b"-"]


def test_a_pipelined_group_is_answered_in_order_in_one_write(fixed_stack: FixedStack) -> None:
    address = inbox_address("pipelined")
    with socket.create_connection(("127.0.0.1", fixed_stack.smtp_port), timeout=10) as raw:
        raw.recv(1024)
        raw.sendall(b"EHLO tester.example.org\r\n")
        ehlo, _ = _replies(raw, 1)
        raw.sendall(f"MAIL FROM:<a@example.org>\r\nRCPT TO:<{address}>\r\nDATA\r\n".encode())
        envelope, reads = _replies(raw, 3)
        raw.sendall(b"Message-ID: <pipelined@example.org>\r\nSubject: pipelined\r\n\r\nhi\r\n.\r\nQUIT\r\n")
        end, _ = _replies(raw, 2)
    assert b"250-PIPELINING" in ehlo
    assert _codes(envelope) == [b"250", b"250", b"354"]
    assert reads == 1, "the replies to a pipelined group should arrive together"
    assert _codes(end) == [b"250", b"221"]
    [stored] = wait_for_inbox(fixed_stack.front, address)
    assert stored["subject"] == "pipelined"


def test_a_refusal_in_a_pipelined_group_counts_once(fixed_stack: FixedStack) -> None:
    def refused_here() -> int:
        return int(smtp_metrics(fixed_stack.smtp_metrics_port)["clients"].get("127.0.0.1", {}).get("refused", 0))

    before = refused_here()
    with socket.create_connection(("127.0.0.1", fixed_stack.smtp_port), timeout=10) as raw:
        raw.recv(1024)
        raw.sendall(b"EHLO tester.example.org\r\n")
        _replies(raw, 1)
        raw.sendall(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<someone@elsewhere.example>\r\nDATA\r\n")
        replies, _ = _replies(raw, 3)
    assert _codes(replies) == [b"250", b"550", b"503"]
    assert refused_here() == before + 1


def test_a_long_pipelined_burst_is_answered_in_full_and_in_order(fixed_stack: FixedStack) -> None:
    with socket.create_connection(("127.0.0.1", fixed_stack.smtp_port), timeout=10) as raw:
        raw.recv(1024)
        raw.sendall(b"EHLO tester.example.org\r\n")
        _replies(raw, 1)
        raw.sendall(b"".join(f"NOOP {n}\r\n".encode() for n in range(250)) + b"VRFY nobody\r\n")
        replies, _ = _replies(raw, 251)
    assert _codes(replies) == [b"250"] * 250 + [b"252"]


def _read(fixed_stack: FixedStack, address: str, summary: dict[str, Any]) -> dict[str, Any]:
    response = httpx.get(f"{fixed_stack.front}/api/addresses/{address}/messages/{summary['id']}", timeout=5)
    response.raise_for_status()
    return dict(response.json())


def _chunking_session(port: int) -> socket.socket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    raw.recv(1024)
    raw.sendall(b"EHLO tester.example.org\r\n")
    ehlo, _ = _replies(raw, 1)
    assert b"250-CHUNKING" in ehlo
    return raw


def _bdat_message(address: str, subject: str) -> bytes:
    """One whole transaction, its message in one BDAT chunk."""
    content = f"Message-ID: <{uuid.uuid4().hex}@example.org>\r\nSubject: {subject}\r\n\r\n.a leading dot stays\r\n"
    data = content.encode()
    return b"MAIL FROM:<a@example.org>\r\nRCPT TO:<%s>\r\nBDAT %d LAST\r\n" % (address.encode(), len(data)) + data


def test_messages_streamed_with_bdat_are_each_answered_in_order_and_stored(fixed_stack: FixedStack) -> None:
    address = inbox_address("bdat")
    streamed = [_bdat_message(address, f"chunked {n}") for n in range(5)]
    with _chunking_session(fixed_stack.smtp_port) as raw:
        raw.sendall(b"".join(streamed) + b"QUIT\r\n")
        replies, _ = _replies(raw, 5 * 3 + 1)
    assert _codes(replies) == [b"250", b"250", b"250"] * 5 + [b"221"]
    stored = wait_for_inbox(fixed_stack.front, address, count=5)
    assert sorted(message["subject"] for message in stored) == [f"chunked {n}" for n in range(5)]
    # BDAT carries the content as is: no dot-stuffing to undo.
    assert _read(fixed_stack, address, stored[0])["body"] == ".a leading dot stays\n"


def test_a_message_in_several_chunks_arrives_whole(fixed_stack: FixedStack) -> None:
    address = inbox_address("chunks")
    with _chunking_session(fixed_stack.smtp_port) as raw:
        raw.sendall(f"MAIL FROM:<a@example.org>\r\nRCPT TO:<{address}>\r\n".encode())
        first, last = b"Subject: in pieces\r\n\r\nfir", b"st part\n"
        raw.sendall(b"BDAT %d\r\n" % len(first) + first)
        raw.sendall(b"BDAT %d LAST\r\n" % len(last) + last)
        replies, _ = _replies(raw, 4)
    assert _codes(replies) == [b"250", b"250", b"250", b"250"]
    assert b"%d octets received" % len(first) in replies[2]
    [stored] = wait_for_inbox(fixed_stack.front, address)
    assert (stored["subject"], _read(fixed_stack, address, stored)["body"]) == ("in pieces", "first part\n")


@pytest.mark.parametrize(
    ("transaction", "expected"),
    [
        (b"BDAT 5 LAST\r\nhello", b"503"),  # no MAIL: the chunk is still read, not taken as commands
        (b"MAIL FROM:<a@example.org>\r\nBDAT 5 LAST\r\nhello", b"250 503"),
        (b"MAIL FROM:<a@example.org>\r\nRCPT TO:<x@mailstack.test>\r\nBDAT 3\r\nabcDATA\r\n", b"250 250 250 503"),
        (b"MAIL FROM:<a@example.org>\r\nRCPT TO:<x@mailstack.test>\r\nBDAT 3\r\nabcRCPT TO:<y@mailstack.test>\r\n",
         b"250 250 250 503"),
        # A refused chunk fails the transaction: the chunks after it cannot deliver the rest.
        (b"MAIL FROM:<a@example.org>\r\nBDAT 3\r\nabcRCPT TO:<x@mailstack.test>\r\nBDAT 3 LAST\r\nxyz",
         b"250 503 503 503"),
        # A size and a wrong keyword: the chunk (a QUIT here) is skipped, never run.
        (b"MAIL FROM:<a@example.org>\r\nRCPT TO:<x@mailstack.test>\r\nBDAT 6 LAST NOW\r\nQUIT\r\n", b"250 250 501"),
        (b"MAIL FROM:<a@example.org>\r\nRCPT TO:<x@mailstack.test>\r\nBDAT 1201 LAST\r\n" + b"y" * 1199 + b"\r\n",
         b"250 250 500"),
    ],
    ids=["without-mail", "without-recipient", "data-after-bdat", "rcpt-after-bdat", "after-a-refused-chunk",
         "wrong-keyword", "line-too-long"],
)
def test_bdat_out_of_sequence_or_malformed_is_refused_and_the_session_goes_on(
    fixed_stack: FixedStack, transaction: bytes, expected: bytes
) -> None:
    codes = expected.split()
    with _chunking_session(fixed_stack.smtp_port) as raw:
        raw.sendall(transaction + b"RSET\r\nNOOP\r\n")
        replies, _ = _replies(raw, len(codes) + 2)
    assert _codes(replies) == [*codes, b"250", b"250"]


def test_bdat_without_a_size_is_refused_and_the_connection_closed(fixed_stack: FixedStack) -> None:
    # Where the chunk ends cannot be known, so nothing after it may run as a command.
    with _chunking_session(fixed_stack.smtp_port) as raw:
        raw.sendall(b"BDAT some\r\nNOOP\r\n")
        replies, _ = _replies(raw, 1)
        assert raw.recv(1024) == b""
    assert _codes(replies) == [b"501"]


def test_bdat_over_the_size_limit_is_read_and_refused(fixed_stack: FixedStack) -> None:
    size = fixed_stack.max_message_bytes + 1
    with _chunking_session(fixed_stack.smtp_port) as raw:
        raw.sendall(f"MAIL FROM:<a@example.org>\r\nRCPT TO:<big@{DOMAIN}>\r\nBDAT {size} LAST\r\n".encode())
        raw.sendall(b"z" * size + b"NOOP\r\n")
        replies, _ = _replies(raw, 4)
    assert _codes(replies) == [b"250", b"250", b"552", b"250"]


def test_a_stream_of_more_messages_than_replies_held_is_answered_in_full(fixed_stack: FixedStack) -> None:
    address = inbox_address("long-stream")
    count = 60  # 180 replies: past the 100 the server holds before it stops reading
    with _chunking_session(fixed_stack.smtp_port) as raw:
        raw.sendall(b"".join(_bdat_message(address, f"stream {n}") for n in range(count)))
        replies, _ = _replies(raw, count * 3)
    assert _codes(replies) == [b"250"] * (count * 3)
    stored = inbox(fixed_stack.front, address, params={"limit": 500}).json()
    assert sorted(message["subject"] for message in stored) == sorted(f"stream {n}" for n in range(count))


class ChunkingHandler:
    """A handler that offers PIPELINING and CHUNKING, as the stack's does."""

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", "250-CHUNKING", responses[-1]]


class FailingDeliveries(ChunkingHandler):
    """A handler whose deliveries go wrong the ways a bug would: a raise, a non-reply."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> Any:
        content = envelope.original_content or b""
        if b"raise" in content:
            raise RuntimeError("a bug in delivery")
        return None if b"nothing" in content else "250 OK stored"

    async def handle_exception(self, error: Exception) -> str:
        raise RuntimeError("and a bug in the error handler")


@contextlib.contextmanager
def _in_process_server(handler: Any, refused: Counter[str] | None = None) -> Iterator[int]:
    """MailSMTP in this process on a port the kernel picked; yields the port."""

    class LocalServer(LoopbackController):
        def factory(self) -> SMTP:
            return MailSMTP(self.handler, max_line_length=1000, refused=Counter() if refused is None else refused,
                            clients=defaultdict(Counter))

    server = LocalServer(handler)
    server.start()
    try:
        yield server.port
    finally:
        server.stop()


def test_a_delivery_that_fails_still_gets_an_answer_in_its_place_and_the_session_goes_on() -> None:
    refused: Counter[str] = Counter()
    with _in_process_server(FailingDeliveries(), refused) as port, _chunking_session(port) as raw:
        raw.sendall(b"".join(
            b"MAIL FROM:<a@example.org>\r\nRCPT TO:<x@mailstack.test>\r\nBDAT %d LAST\r\n%s" % (len(body), body)
            for body in (b"raise", b"nothing", b"fine")
        ) + b"NOOP\r\n")
        replies, _ = _replies(raw, 3 * 3 + 1)
    assert _codes(replies)[2::3] == [b"451", b"451", b"250"]
    assert _codes(replies)[-1] == b"250"
    assert refused == Counter({"temporary_failure": 2})


def _until_eof(raw: socket.socket) -> Iterator[bytes]:
    """Each read until the server closes the connection."""
    while chunk := raw.recv(4096):
        yield chunk


def _half_closed_session(port: int, sent: bytes) -> list[bytes]:
    """Every reply line to ``sent``, written whole before reading and followed by a half-close."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(sent)
        raw.shutdown(socket.SHUT_WR)
        replies = b"".join(_until_eof(raw))
    return replies.split(b"\r\n")[:-1]


def test_a_client_that_half_closes_after_a_whole_session_gets_every_reply_and_its_message_once(
    fixed_stack: FixedStack,
) -> None:
    address = inbox_address("half-closed")
    lines = _half_closed_session(fixed_stack.smtp_port, b"EHLO tester.example.org\r\nMAIL FROM:<a@example.org>\r\n"
                                 b"RCPT TO:<%s>\r\nDATA\r\nSubject: half-closed\r\n\r\nhi\r\n.\r\nQUIT\r\n"
                                 % address.encode())
    assert _codes(lines) == [b"220", b"250", b"250", b"250", b"354", b"250", b"221"]
    assert b"queued as" in lines[-2]
    [stored] = wait_for_inbox(fixed_stack.front, address)
    assert stored["subject"] == "half-closed"


@pytest.mark.parametrize("ending", [b"QUIT\r\n", b""], ids=["then-quit", "without-quit"])
def test_messages_streamed_with_bdat_then_half_closed_are_each_answered_and_stored_once(
    fixed_stack: FixedStack, ending: bytes
) -> None:
    address = inbox_address("bdat-half-closed")
    streamed = b"".join(_bdat_message(address, f"half-closed {n}") for n in range(5))
    lines = _half_closed_session(fixed_stack.smtp_port, b"EHLO tester.example.org\r\n" + streamed + ending)
    assert _codes(lines) == [b"220", b"250", *[b"250"] * (5 * 3), *[b"221"] * bool(ending)]
    stored = wait_for_inbox(fixed_stack.front, address, count=5)
    assert sorted(message["subject"] for message in stored) == [f"half-closed {n}" for n in range(5)]


@pytest.mark.parametrize(
    ("unfinished", "answered"),
    [
        (b"DATA\r\nSubject: cut short\r\n\r\nno final dot\r\n", [b"354"]),
        (b"BDAT 100 LAST\r\nSubject: cut short\r\n", []),
        (b"BDAT 5\r\nhelloBDAT 5 LA", [b"250"]),
    ],
    ids=["data", "bdat-chunk", "bdat-command"],
)
def test_a_transaction_cut_short_by_a_half_close_is_not_delivered_and_what_came_before_is_answered(
    fixed_stack: FixedStack, unfinished: bytes, answered: list[bytes]
) -> None:
    address = inbox_address("cut-short")
    lines = _half_closed_session(fixed_stack.smtp_port, b"EHLO tester.example.org\r\nMAIL FROM:<a@example.org>\r\n"
                                 b"RCPT TO:<%s>\r\n%s" % (address.encode(), unfinished))
    assert _codes(lines) == [b"220", b"250", b"250", b"250", *answered]
    assert inbox(fixed_stack.front, address).json() == []


class SlowStore(ChunkingHandler):
    """Stores each message a while after it arrives, and keeps what it stored."""

    def __init__(self) -> None:
        self.stored: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(0.2)
        self.stored.append(envelope.original_content or b"")
        return "250 OK stored"


@pytest.mark.parametrize(
    ("session", "answers", "messages"),
    [
        (b"MAIL FROM:<a@example.org>\r\nRCPT TO:<x@mailstack.test>\r\nDATA\r\nSubject: slow\r\n\r\nhi\r\n.\r\nQUIT\r\n",
         [b"250", b"250", b"354", b"250", b"221"], 1),
        (b"".join(_bdat_message(f"{n}@mailstack.test", "slow") for n in range(3)), [b"250"] * (3 * 3), 3),
    ],
    ids=["data-then-quit", "bdat-stream"],
)
def test_after_a_half_close_each_250_is_written_only_once_its_message_is_stored(
    session: bytes, answers: list[bytes], messages: int
) -> None:
    store = SlowStore()
    with _in_process_server(store) as port, socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(b"EHLO tester.example.org\r\n" + session)
        raw.shutdown(socket.SHUT_WR)
        replies = b""
        for chunk in _until_eof(raw):
            replies += chunk
            # Counted after the read: a 250 written before its store would outnumber the stored.
            assert replies.count(b"250 OK stored") <= len(store.stored)
    assert _codes(replies.split(b"\r\n")[:-1]) == [b"220", b"250", *answers]
    assert len(store.stored) == replies.count(b"250 OK stored") == messages
