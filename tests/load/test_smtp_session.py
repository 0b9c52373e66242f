"""The flood's SMTP client against real servers on loopback: aiosmtpd and the null sink."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from harness.load.smtp_session import Outcome, SmtpSession, Stage

from .conftest import free_port

BLOCKED = "blocked@attacker.invalid"
BUSY = "busy@attacker.invalid"


class Handler:
    """Refuses one sender outright, turns another away for now, keeps the content of the rest;
    offers PIPELINING when asked to, and notes whether a client used it."""

    def __init__(self, *, pipelining: bool) -> None:
        self.pipelining = pipelining
        self.contents: list[bytes] = []
        self.peers: set[object] = set()
        self.envelopes_in_one_flight = 0

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        self.peers.add(session.peer)
        # Pipelined, the RCPT and DATA lines are already read in when MAIL is answered.
        self.envelopes_in_one_flight += b"DATA" in server._reader._buffer  # type: ignore[attr-defined]
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


@pytest.fixture(params=[False, True], ids=["serial", "pipelining"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[Handler, int]]:
    handler, port = Handler(pipelining=request.param), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
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


def test_no_server_is_an_error_not_a_refusal() -> None:
    result = session(free_port()).attempt("a@sender.invalid", ["u@mailstack.test"], MESSAGE)
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
