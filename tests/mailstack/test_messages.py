"""Building the stored message from whatever bytes a client sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from fixtures.mailstack.messages import MAX_SUBJECT_CHARS, MailMessage, build_message, message_key


def _build(content: bytes) -> MailMessage:
    return build_message(
        content=content,
        sender="a@example.org",
        recipients=["bob@mailstack.test"],
        server="smtp-1",
        client_ip="127.0.0.1",
        received_at=datetime.now(UTC),
    )


def test_fields_come_from_the_headers_and_the_text_part() -> None:
    message = _build(b"Message-ID: <m1@x>\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\nbody line\r\n")
    assert message.message_id == "<m1@x>"
    assert message.id == message_key("<m1@x>")
    assert message.subject == "caf\u00e9"
    assert message.body == "body line\n"
    assert message.size == len(b"Message-ID: <m1@x>\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\nbody line\r\n")
    assert message.server == "smtp-1"


def test_a_missing_message_id_is_generated_once_per_message() -> None:
    first, second = _build(b"Subject: x\r\n\r\nhi\r\n"), _build(b"Subject: x\r\n\r\nhi\r\n")
    assert first.message_id.endswith("@smtp-1>")
    assert first.message_id != second.message_id


def test_multipart_prefers_the_plain_text_part() -> None:
    content = (
        b"Message-ID: <mp@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
        b"--B\r\nContent-Type: text/plain; charset=latin-1\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"Y2Fm6Q==\r\n--B--\r\n"
    )
    assert _build(content).body == "caf\u00e9"


def test_garbage_never_raises_and_always_yields_storable_text() -> None:
    content = (
        b"Subject: \xff\xfe raw\r\nMessage-ID: \x80\x81\r\n"
        b"Content-Type: text/plain; charset=nonsense\r\n\r\n\xc3\x28"
    )
    message = _build(content)
    for text in (message.subject, message.message_id, message.body):
        text.encode("utf-8")
    assert _build(b"").message_id  # empty DATA still gets an identity
    assert len(_build(b"Subject: " + b"s" * 5000 + b"\r\n\r\n").subject) == MAX_SUBJECT_CHARS


def test_document_round_trip_keys_on_the_message_id() -> None:
    message = _build(b"Message-ID: <rt@x>\r\n\r\nhi\r\n")
    document = message.to_document()
    assert document["_id"] == message.id and "id" not in document
    assert MailMessage.from_document(document) == message


@pytest.mark.parametrize("received_at", ["2.5", "true", "1700000000"])
def test_a_received_time_that_is_not_a_date_time_string_is_refused(received_at: str) -> None:
    document = _build(b"Message-ID: <when@x>\r\n\r\nhi\r\n").model_dump(mode="json")
    text = json.dumps(document).replace(json.dumps(document["received_at"]), received_at)
    with pytest.raises(ValidationError, match="date-time is a string"):
        MailMessage.model_validate_json(text)
    assert MailMessage.model_validate_json(json.dumps(document)).received_at.year >= 2026


def test_single_part_transfer_encodings_are_decoded() -> None:
    content = (
        b"Message-ID: <qp@x>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =\r\nau lait\r\n"
    )
    assert _build(content).body == "caf\u00e9 au lait\n"
    assert _build(b"Content-Type: text/plain; charset=latin-1\r\n\r\ncaf\xe9\r\n").body == "caf\u00e9\n"
