"""Sends a uniquely identified message to every SMTP server, every period."""

from __future__ import annotations

import smtplib
import time
import uuid
from email.message import EmailMessage

from harness.history import History
from harness.probes.base import PeriodicProbe

SMTP_TIMEOUT_S = 10


class SmtpDeliveryProbe(PeriodicProbe):
    def __init__(self, history: History, every_s: float, servers: dict[str, tuple[str, int]],
                 domain: str) -> None:
        super().__init__("smtp-delivery", history, every_s)
        self.servers = servers
        self.domain = domain
        self.sent = 0

    def observe(self) -> None:
        for name, (address, port) in self.servers.items():
            self.send_one(name, address, port)

    def send_one(self, name: str, address: str, port: int) -> None:
        self.sent += 1
        message_id = f"<probe-{self.sent}-{uuid.uuid4().hex[:12]}@harness.{self.domain}>"
        message = EmailMessage()
        message["From"] = f"probe@harness.{self.domain}"
        message["To"] = f"probe@{self.domain}"
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
            "smtp.send", name, code == 250,
            latency_ms=(time.perf_counter() - started) * 1000, source=self.name,
            message_id=message_id, code=code, accepted=code == 250, error=error,
        )
