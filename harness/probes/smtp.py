"""SMTP probe: a uniquely identified message to each SMTP target every period, and, with
``via``, a read-back that each accepted message can be fetched (a mail ledger for any mail system).

The sender stops with the timeline; the ledger keeps checking through the grace
and counts every accepted message one last time at the end.
"""

from __future__ import annotations

import smtplib
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import ClassVar, Literal
from urllib.parse import quote

import httpx
from pydantic import Field

from harness.events import EventKind
from harness.extensions import PROBES
from harness.fields import Duration
from harness.history import History
from harness.probes import PeriodicProbe, ProbeContext, Target, TargetedProbeSpec
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope, Strict

SMTP_TIMEOUT_S = 10
FINAL_WAIT_S = 30
SMTP_SEND = EventKind("smtp.send", "the SMTP node the message was sent to",
                      "message_id, code (the SMTP reply code, None without one), accepted (code 250), error")
MAIL_STORED = EventKind("mail.stored", "where the ledger looked ('db', or the read-back's target)",
                        "message_id, copies (stored copies found: 0 is missing, 2 a duplicate), "
                        "final (the last count, after the grace)")


class ReadBack(Strict):
    """GET ``path`` (``{message_id}`` is replaced, URL-encoded) on ``target``: ``status`` means stored."""

    target: str
    port: int | None = Field(default=None, ge=1, le=65535)
    path: str
    status: int = 200


@PROBES.register
class SmtpProbeSpec(TargetedProbeSpec):
    kind: Literal["smtp"]
    observes: ClassVar[EventKind] = SMTP_SEND
    to: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")  # the recipient: an address the servers accept
    via: ReadBack | None = None
    ledger_every: Duration = Field(default=2.0, gt=0)

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from super().problems(scope)
        if self.via is not None:
            yield from scope.targets(("via", "target"), [self.via.target])
            if "{message_id}" not in self.via.path:
                yield Problem(("via", "path"), "the read-back path does not name the message",
                              "put {message_id} where the message id goes, e.g. /messages/{message_id}")

    def start(self, ctx: ProbeContext) -> list[PeriodicProbe]:
        servers = {t.name: (t.address, self.port_of(ctx, t)) for t in ctx.targets(self.targets)}
        probes: list[PeriodicProbe] = [SmtpSender(self.id, ctx.history, self.every, servers, self.to)]
        if self.via is not None:
            (target,) = ctx.targets([self.via.target])
            port = self.via.port or ctx.stack.topology.port_of(target.node or "")
            probes.append(HttpLedger(self.id, ctx.history, self.ledger_every, target, port, self.via))
        return probes


class SmtpSender(PeriodicProbe):
    stops_with_timeline: ClassVar[bool] = True

    def __init__(self, source: str, history: History, every_s: float, servers: dict[str, tuple[str, int]],
                 to: str) -> None:
        super().__init__(source, history, every_s)
        self.servers = servers
        self.to = to
        self.domain = to.partition("@")[2]
        self.sent = 0

    def observe(self) -> None:
        for name, (address, port) in self.servers.items():
            self.send_one(name, address, port)

    def send_one(self, name: str, address: str, port: int) -> None:
        self.sent += 1
        message_id = f"<probe-{self.sent}-{uuid.uuid4().hex[:12]}@harness.{self.domain}>"
        message = EmailMessage()
        message["From"] = f"probe@harness.{self.domain}"
        message["To"] = self.to
        message["Subject"] = f"delivery probe {self.sent} via {name}"
        message["Message-ID"] = message_id
        message.set_content(f"probe {self.sent} to {name}\n")
        started = time.perf_counter()
        code: int | None = None
        error: str | None = None
        try:
            with smtplib.SMTP(address, port, timeout=SMTP_TIMEOUT_S) as client:
                refused = client.send_message(message)
                code = 250 if not refused else next(iter(refused.values()))[0]
        except smtplib.SMTPResponseException as err:
            code, error = err.smtp_code, err.smtp_error.decode(errors="replace")
        except smtplib.SMTPRecipientsRefused as err:
            code = next(iter(err.recipients.values()))[0]
        except (OSError, smtplib.SMTPException) as err:
            error = f"{type(err).__name__}: {err}"
        self.history.record(
            SMTP_SEND, name, code == 250, latency_ms=(time.perf_counter() - started) * 1000,
            source=self.source, message_id=message_id, code=code, accepted=code == 250, error=error,
        )


class Ledger(PeriodicProbe):
    """Which accepted messages (``smtp.send`` events of the same probe) are stored, and how many
    copies: each one once it is seen, then every one a last time in ``finish()``."""

    where: ClassVar[str] = "db"

    def __init__(self, source: str, history: History, every_s: float) -> None:
        super().__init__(f"{source}-ledger", history, every_s)
        self.sends_of = source
        self._seen: set[str] = set()

    def copies(self, message_ids: list[str]) -> dict[str, int] | None:
        """How many stored copies of each message, or None when the store cannot be read now."""
        raise NotImplementedError

    def accepted(self) -> list[str]:
        return [e.data["message_id"] for e in self.history.events(SMTP_SEND)
                if e.source == self.sends_of and e.data.get("accepted")]

    def observe(self) -> None:
        waiting = [m for m in self.accepted() if m not in self._seen]
        if not waiting or (copies := self.copies(waiting)) is None:
            return
        for message_id, count in copies.items():
            if count:
                self._seen.add(message_id)
                self.history.record(MAIL_STORED, self.where, count == 1, source=self.sends_of,
                                    message_id=message_id, copies=count, final=False)

    def finish(self) -> str | None:
        accepted = self.accepted()
        deadline = time.monotonic() + FINAL_WAIT_S
        while (copies := self.copies(accepted)) is None and time.monotonic() < deadline:
            time.sleep(1)
        if copies is None:
            return f"mail ledger of '{self.sends_of}': the store did not answer, so stored mail cannot be counted"
        for message_id in accepted:
            self.history.record(MAIL_STORED, self.where, copies[message_id] == 1, source=self.sends_of,
                                message_id=message_id, copies=copies[message_id], final=True)
        missing = sum(1 for m in accepted if copies[m] == 0)
        return f"mail ledger of '{self.sends_of}': {missing} accepted message(s) missing"


class HttpLedger(Ledger):
    """Reads each message back over HTTP: found is one copy (HTTP cannot count duplicates)."""

    def __init__(self, source: str, history: History, every_s: float, target: Target, port: int,
                 via: ReadBack) -> None:
        super().__init__(source, history, every_s)
        self.where = target.name
        self.via = via
        self._http = httpx.Client(base_url=f"http://{target.address}:{port}", timeout=SMTP_TIMEOUT_S)

    def copies(self, message_ids: list[str]) -> dict[str, int] | None:
        counts: dict[str, int] = {}
        try:
            for message_id in message_ids:
                response = self._http.get(self.via.path.replace("{message_id}", quote(message_id, safe="")))
                counts[message_id] = int(response.status_code == self.via.status)
        except httpx.HTTPError:
            return None
        return counts

    def close(self) -> None:
        self._http.close()
