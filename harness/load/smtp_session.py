"""One SMTP connection that sends message after message: what a flooding client does.

Standard library only: it runs inside the attacker containers (under Locust's
gevent) and anywhere else a Locust worker runs. It speaks RFC 5321 on a raw
socket rather than smtplib, whose address parsing and buffered reads cost more
CPU than the network itself and would make the generator, not the server, the
bottleneck. When the server offers PIPELINING (RFC 2920), as the stack's do,
MAIL, RCPT and DATA go out as one group, as Postfix sends them. When it also
offers CHUNKING (RFC 3030), ``attempt_all`` sends several whole messages as one
stream (MAIL, RCPT, ``BDAT <size> LAST`` and the message, for each) and then
reads every answer: a sender with one connection and many messages in flight.

The connection is kept for the next attempt whenever the server allows it (a
refused sender is followed by RSET on the same connection); it is dropped
after a network error, a protocol error or a 421.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

CRLF = b"\r\n"
READ_SIZE = 65536
# A reply longer than this is not SMTP.
REPLY_LIMIT = 65536
# Messages per stream at most: with a few recipients each, a stream and its replies fit the
# socket buffers, so sending it whole never waits on replies nobody reads yet.
MAX_STREAM = 32

# A message to send: sender, recipients, content.
Transaction = tuple[str, list[str], bytes]


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # 250 to the end of DATA: the server took responsibility
    REFUSED = "refused"  # a 5xx reply: the server will never take this
    TEMP_FAILED = "temp-failed"  # a 4xx reply: try again later
    ERROR = "error"  # no usable SMTP answer: connection refused, reset, timeout, garbage


class Stage(StrEnum):
    CONNECT = "connect"
    MAIL = "mail"
    RCPT = "rcpt"
    DATA = "data"


@dataclass(frozen=True, slots=True)
class AttemptResult:
    outcome: Outcome
    code: int | None  # the deciding reply's code (250 when accepted), None without one
    stage: Stage  # where it was decided
    reply: str
    elapsed_ms: float
    # Unix time the server answered MAIL FROM (or turned the connection away in
    # its greeting), and that answer's code: the server's decision about this
    # client, stamped in the order the server made it.
    sender_answered_at: float | None
    sender_code: int | None
    source_ip: str | None  # the address the server saw, None when never connected

    @property
    def sender_refused(self) -> bool | None:
        """Whether the server refused this client outright (a 5xx to MAIL FROM or in its
        greeting); None when it gave no definite answer (no reply, or a 4xx)."""
        code = self.sender_code
        if code is None or not (200 <= code < 300 or 500 <= code < 600):
            return None
        return code >= 500


class ProtocolError(Exception):
    """The peer's bytes are not an SMTP reply."""


class _Answer(Exception):
    """A reply that ends the attempt before DATA completes."""

    def __init__(self, code: int, text: str, stage: Stage) -> None:
        super().__init__(f"{code} {text}")
        self.code, self.text, self.stage = code, text, stage


class SmtpSession:
    def __init__(self, host: str, port: int, *, helo: str, timeout_s: float) -> None:
        self.host = host
        self.port = port
        self.helo = helo.encode()
        self.timeout_s = timeout_s
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._source_ip: str | None = None
        self._pipelining = False
        self._chunking = False
        # Replies still owed to commands sent as one pipelined group.
        self._owed_replies = 0

    def attempt(self, sender: str, recipients: list[str], content: bytes) -> AttemptResult:
        started = time.perf_counter()
        answered_at: float | None = None
        sender_code: int | None = None

        def result(outcome: Outcome, code: int | None, stage: Stage, reply: str) -> AttemptResult:
            return AttemptResult(outcome, code, stage, reply, (time.perf_counter() - started) * 1000,
                                 answered_at, sender_code, self._source_ip)

        stage = Stage.CONNECT
        try:
            if self._sock is None:
                self._connect()
            stage = Stage.MAIL
            mail, rcpts = _envelope(sender, recipients)
            if self._pipelining:
                self._send(mail + b"".join(rcpts) + b"DATA" + CRLF)
                self._owed_replies = len(rcpts) + 2
            else:
                self._send(mail)
            sender_code, text = self._reply()
            answered_at = time.time()
            if sender_code != 250:
                raise _Answer(sender_code, text, Stage.MAIL)
            stage = Stage.RCPT
            for rcpt in rcpts:
                code, text = self._reply() if self._pipelining else self._command(rcpt)
                if code not in (250, 251):
                    raise _Answer(code, text, Stage.RCPT)
            stage = Stage.DATA
            code, text = self._reply() if self._pipelining else self._command(b"DATA" + CRLF)
            if code != 354:
                raise _Answer(code, text, Stage.DATA)
            code, text = self._send_content(content)
        except _Answer as answer:
            if answer.stage is Stage.CONNECT:
                # Turned away before any transaction: nothing to reset, reconnect next time.
                answered_at, sender_code = time.time(), answer.code
                self.close()
            return result(self._after_refusal(answer.code), answer.code, answer.stage, answer.text)
        except (OSError, ProtocolError) as error:
            self.close()
            return result(Outcome.ERROR, None, stage, f"{type(error).__name__}: {error}")
        if code == 250:
            return result(Outcome.ACCEPTED, code, Stage.DATA, text)
        return result(self._after_refusal(code), code, Stage.DATA, text)

    def attempt_all(self, transactions: Sequence[Transaction]) -> list[AttemptResult]:
        """One result per message, in order. Streams of up to MAX_STREAM messages go out whole
        when the server offers PIPELINING and CHUNKING; otherwise one attempt after another."""
        results: list[AttemptResult] = []
        while len(results) < len(transactions):
            if self._sock is not None and self._chunking:
                stream = transactions[len(results) : len(results) + MAX_STREAM]
                results += self._attempt_stream(stream)
            else:  # connects, and learns what the server offers
                results.append(self.attempt(*transactions[len(results)]))
        return results

    def _attempt_stream(self, transactions: Sequence[Transaction]) -> list[AttemptResult]:
        started = time.perf_counter()
        stream: list[bytes] = []
        for sender, recipients, content in transactions:
            mail, rcpts = _envelope(sender, recipients)
            stream += [mail, *rcpts, b"BDAT %d LAST" % len(content) + CRLF, content]
        results: list[AttemptResult] = []
        failure: Exception | None = None
        try:
            self._send(b"".join(stream))
        except OSError as error:
            failure = error  # the server may have answered the first messages before it went away
        try:
            for _, recipients, _ in transactions:
                results.append(self._stream_answer(len(recipients), started))
                if results[-1].code == 421:
                    raise ConnectionResetError("the server closed the connection (421)")
            if failure is None and any(result.outcome is not Outcome.ACCEPTED for result in results):
                # A server may keep a refused transaction open; the next stream starts clean.
                if self._command(b"RSET" + CRLF)[0] != 250:
                    self.close()
        except (OSError, ProtocolError) as error:
            failure = failure or error
        if failure is not None:
            self.close()
            reply = f"{type(failure).__name__}: {failure}"
            results += [
                AttemptResult(Outcome.ERROR, None, Stage.MAIL, reply, (time.perf_counter() - started) * 1000,
                              None, None, self._source_ip)
                for _ in transactions[len(results):]
            ]
        return results

    def _stream_answer(self, recipients: int, started: float) -> AttemptResult:
        """Read the answers to one streamed message's MAIL, RCPTs and BDAT. A 250 to BDAT means
        the server took the message for the recipients it accepted; otherwise the first refusal
        decides (the replies after it are the server's 503s to a transaction already failed)."""
        sender_code: int | None = None
        answered_at: float | None = None
        deciding: tuple[int, str, Stage] | None = None
        for stage in [Stage.MAIL] + [Stage.RCPT] * recipients + [Stage.DATA]:
            code, text = self._reply()
            if stage is Stage.MAIL:
                sender_code, answered_at = code, time.time()
            if code == 421:  # the server hangs up: no more answers come
                deciding = (code, text, stage)
                break
            if stage is Stage.DATA and (code == 250 or deciding is None):
                deciding = (code, text, stage)
            elif deciding is None and code not in (250, 251):
                deciding = (code, text, stage)
        assert deciding is not None
        code, text, stage = deciding
        return AttemptResult(_outcome_of(code), code, stage, text, (time.perf_counter() - started) * 1000,
                             answered_at, sender_code, self._source_ip)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            self._buffer = b""
            self._owed_replies = 0

    def _connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._source_ip = sock.getsockname()[0]
        code, text = self._reply()
        if code != 220:
            raise _Answer(code, text, Stage.CONNECT)
        self._send(b"EHLO " + self.helo + CRLF)
        code, lines = self._reply_lines()
        extensions = {line.split()[0].upper() for line in lines[1:] if line.strip()} if code == 250 else set()
        self._pipelining = "PIPELINING" in extensions
        self._chunking = self._pipelining and "CHUNKING" in extensions
        if code != 250:
            code, text = self._command(b"HELO " + self.helo + CRLF)
            if code != 250:
                raise _Answer(code, text, Stage.CONNECT)

    def _command(self, line: bytes) -> tuple[int, str]:
        self._send(line)
        return self._reply()

    def _send(self, data: bytes) -> None:
        # send() rather than sendall(): under gevent sendall is a Python loop with a
        # timer per call, and SMTP commands fit in the socket buffer in one go.
        assert self._sock is not None
        view = memoryview(data)
        while view:
            view = view[self._sock.send(view):]

    def _send_content(self, content: bytes) -> tuple[int, str]:
        # RFC 5321 4.5.2: a line starting with "." gets one more.
        if content.startswith(b"."):
            content = b"." + content
        content = content.replace(b"\n.", b"\n..")
        if not content.endswith(CRLF):
            content += CRLF
        self._send(content + b".\r\n")
        return self._reply()

    def _reply(self) -> tuple[int, str]:
        """Read one (possibly multi-line) reply: its code and its last line's text."""
        code, lines = self._reply_lines()
        return code, lines[-1]

    def _reply_lines(self) -> tuple[int, list[str]]:
        """Read one reply: its code and the text of each of its lines."""
        assert self._sock is not None
        self._owed_replies = max(0, self._owed_replies - 1)
        lines: list[str] = []
        start = 0
        while True:
            end = self._buffer.find(CRLF, start)
            if end < 0:
                if len(self._buffer) > REPLY_LIMIT:
                    raise ProtocolError("reply longer than 64 KiB")
                data = self._sock.recv(READ_SIZE)
                if not data:
                    raise ConnectionResetError("the server closed the connection")
                self._buffer += data
                continue
            line = self._buffer[start:end]
            start = end + 2
            if len(line) < 3 or not line[:3].isdigit():
                raise ProtocolError(f"not an SMTP reply: {line[:80]!r}")
            lines.append(line[4:].decode("utf-8", "replace"))
            if line[3:4] != b"-":
                self._buffer = self._buffer[start:]
                return int(line[:3]), lines

    def _after_refusal(self, code: int) -> Outcome:
        """Reset the transaction so the connection can carry the next attempt, or drop it."""
        outcome = _outcome_of(code)
        if code == 421 or self._sock is None:
            self.close()
            return outcome
        try:
            while self._owed_replies:
                if self._reply()[0] == 354:
                    # DATA went ahead after a refused recipient: dropping the connection
                    # is the one way to abandon the message without sending it.
                    self.close()
                    return outcome
            self._command(b"RSET" + CRLF)
        except (OSError, ProtocolError):
            self.close()
        return outcome


def _envelope(sender: str, recipients: list[str]) -> tuple[bytes, list[bytes]]:
    """The MAIL command and one RCPT command per recipient, each with its line end."""
    return (b"MAIL FROM:<" + sender.encode() + b">" + CRLF,
            [b"RCPT TO:<" + recipient.encode() + b">" + CRLF for recipient in recipients])


def _outcome_of(code: int) -> Outcome:
    if 200 <= code < 300:
        return Outcome.ACCEPTED
    if 400 <= code < 500:
        return Outcome.TEMP_FAILED
    return Outcome.REFUSED if 500 <= code < 600 else Outcome.ERROR
