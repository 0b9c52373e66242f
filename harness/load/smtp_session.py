"""One SMTP connection that sends message after message: what a flooding client does.

Standard library only: it runs inside the attacker containers (under Locust's
gevent) and anywhere else a Locust worker runs. The connection is kept for the
next attempt whenever the server allows it (a refused sender is followed by
RSET on the same connection); it is dropped after a network error or a 421.
"""

from __future__ import annotations

import smtplib
import time
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # 250 to the end of DATA: the server took responsibility
    REFUSED = "refused"  # a 5xx reply: the server will never take this
    TEMP_FAILED = "temp-failed"  # a 4xx reply: try again later
    ERROR = "error"  # no SMTP answer: connection refused, reset, timeout


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
    # Unix time the server answered MAIL FROM (where a blocklisted sender is refused),
    # and that answer's code: the server's decision about this client, in server order.
    sender_answered_at: float | None
    sender_code: int | None
    source_ip: str | None  # the address the server saw, None when never connected

    @property
    def sender_refused(self) -> bool | None:
        """Whether the server refused this client outright (5xx to MAIL FROM); None if it never said."""
        if self.sender_code is None or not 200 <= self.sender_code < 600 or 400 <= self.sender_code < 500:
            return None
        return self.sender_code >= 500


class SmtpSession:
    def __init__(self, host: str, port: int, *, helo: str, timeout_s: float) -> None:
        self.host = host
        self.port = port
        self.helo = helo
        self.timeout_s = timeout_s
        self._client: smtplib.SMTP | None = None
        self._source_ip: str | None = None

    def attempt(self, sender: str, recipients: list[str], message: bytes) -> AttemptResult:
        started = time.perf_counter()
        answered_at: float | None = None
        sender_code: int | None = None

        def result(outcome: Outcome, code: int | None, stage: Stage, reply: bytes | str) -> AttemptResult:
            text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
            return AttemptResult(outcome, code, stage, text, (time.perf_counter() - started) * 1000,
                                 answered_at, sender_code, self._source_ip)

        try:
            client = self._connected()
        except smtplib.SMTPConnectError as refused:
            # A server may turn a blocked client away in its greeting, before MAIL FROM.
            self.close()
            answered_at, sender_code = time.time(), refused.smtp_code
            return result(_outcome_of(refused.smtp_code), refused.smtp_code, Stage.CONNECT, refused.smtp_error)
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            return result(Outcome.ERROR, None, Stage.CONNECT, f"{type(error).__name__}: {error}")
        try:
            sender_code, reply = client.mail(sender)
            answered_at = time.time()
            if sender_code != 250:
                return result(self._after_refusal(sender_code), sender_code, Stage.MAIL, reply)
            for recipient in recipients:
                code, reply = client.rcpt(recipient)
                if code not in (250, 251):
                    return result(self._after_refusal(code), code, Stage.RCPT, reply)
            code, reply = client.data(message)
        except smtplib.SMTPDataError as refused:
            return result(self._after_refusal(refused.smtp_code), refused.smtp_code, Stage.DATA,
                          refused.smtp_error)
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            return result(Outcome.ERROR, None, Stage.DATA if answered_at else Stage.MAIL,
                          f"{type(error).__name__}: {error}")
        if code == 250:
            return result(Outcome.ACCEPTED, code, Stage.DATA, reply)
        return result(self._after_refusal(code), code, Stage.DATA, reply)

    def close(self) -> None:
        if self._client is None:
            return
        try:
            self._client.close()
        finally:
            self._client = None

    def _connected(self) -> smtplib.SMTP:
        if self._client is None:
            client = smtplib.SMTP(self.host, self.port, local_hostname=self.helo, timeout=self.timeout_s)
            try:
                client.ehlo_or_helo_if_needed()
            except BaseException:
                client.close()
                raise
            self._client = client
            assert client.sock is not None
            self._source_ip = client.sock.getsockname()[0]
        return self._client

    def _after_refusal(self, code: int) -> Outcome:
        """Reset the transaction so the connection can carry the next attempt, or drop it."""
        outcome = _outcome_of(code)
        if code == 421 or self._client is None:
            self.close()
            return outcome
        try:
            self._client.rset()
        except (OSError, smtplib.SMTPException):
            self.close()
        return outcome


def _outcome_of(code: int) -> Outcome:
    if 200 <= code < 300:
        return Outcome.ACCEPTED
    if 400 <= code < 500:
        return Outcome.TEMP_FAILED
    return Outcome.REFUSED if 500 <= code < 600 else Outcome.ERROR
