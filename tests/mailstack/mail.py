"""Sending mail and reading it back, as a client of the stack would."""

from __future__ import annotations

import smtplib
import time
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import httpx

from fixtures.mailstack.messages import MailMessage, build_message

from .procs import DOMAIN


def arrived_message(message_id: str, *, subject: str = "") -> MailMessage:
    """A message as an SMTP server builds it on arrival, addressed to bob@mailstack.test."""
    return build_message(
        content=f"Message-ID: {message_id}\r\nSubject: {subject}\r\n\r\nhi\r\n".encode(),
        sender="a@example.org",
        recipients=["bob@mailstack.test"],
        server="s",
        client_ip="127.0.0.1",
        received_at=datetime.now(UTC),
    )


def new_message(
    to: str,
    *,
    subject: str = "hello",
    body: str = "hi there\n",
    sender: str = "alice@example.org",
    message_id: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@test.example.org>"
    message.set_content(body)
    return message


def inbox_address(tag: str = "") -> str:
    return f"{tag or 'box'}-{uuid.uuid4().hex[:10]}@{DOMAIN}"


def send(port: int, message: EmailMessage, *, source_ip: str | None = None) -> str:
    """Send over a fresh connection; returns the Message-ID. Raises smtplib errors on refusal."""
    source = (source_ip, 0) if source_ip else None
    with smtplib.SMTP("127.0.0.1", port, timeout=15, source_address=source) as client:
        client.send_message(message)
    return str(message["Message-ID"])


def inbox(api: str, address: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(f"{api}/api/addresses/{address}/messages", timeout=kwargs.pop("timeout", 5), **kwargs)


def message_ids_in(api: str, address: str) -> list[str]:
    response = inbox(api, address)
    response.raise_for_status()
    return [m["message_id"] for m in response.json()]


def wait_for_inbox(api: str, address: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The inbox once it holds at least ``count`` messages (answers other than 200 keep waiting)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = inbox(api, address)
            if response.status_code == 200 and len(response.json()) >= count:
                return list(response.json())
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{address} did not hold {count} messages within {timeout}s")
        time.sleep(0.05)
