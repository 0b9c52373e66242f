"""Typed event kinds: declared once, stored by name, looked up by the kind object."""

from __future__ import annotations

import pytest

from harness.events import CATALOGUE, FAULT_START, EventKind
from harness.history import Event, History
from harness.load.ledger import BLOCKLIST_PROBE, FLOOD_ATTEMPT
from harness.probes.exec import EXEC_RUN
from harness.probes.http import HTTP_REQUEST
from harness.probes.smtp import MAIL_STORED, SMTP_SEND
from harness.probes.tcp import TCP_CONNECT
from systems.mongodb.probe import RS_STATUS


def test_every_declared_kind_is_in_the_catalogue_under_its_name() -> None:
    for kind in (FAULT_START, HTTP_REQUEST, SMTP_SEND, MAIL_STORED, TCP_CONNECT, EXEC_RUN, RS_STATUS,
                 FLOOD_ATTEMPT, BLOCKLIST_PROBE):
        assert CATALOGUE[kind.name] is kind
        assert kind.target and kind.data  # documented: what the target names, what the data holds


def test_declaring_a_kind_again_differently_is_refused_and_the_same_way_is_harmless() -> None:
    assert EventKind(FAULT_START.name, FAULT_START.target, FAULT_START.data) == FAULT_START
    with pytest.raises(ValueError, match="'fault.start' is declared twice, differently"):
        EventKind("fault.start", "something else", "other data")


def test_the_history_records_typed_kinds_by_name_with_their_source(tmp_path) -> None:
    history = History(start=0.0)
    history.record(HTTP_REQUEST, "floating", True, latency_ms=3.0, source="front", t=1.0, status=200)
    history.record(HTTP_REQUEST, "api-1", False, source="legs", t=2.0, status=503)
    history.record(SMTP_SEND, "smtp-1", True, source="mail", t=0.5, accepted=True)
    assert [e.target for e in history.events(HTTP_REQUEST)] == ["floating", "api-1"]
    assert [e.source for e in history.events(HTTP_REQUEST, "api-1")] == ["legs"]
    assert [e.kind for e in history.events()] == ["smtp.send", "http.request", "http.request"]  # by time
    path = tmp_path / "events.jsonl"
    history.dump_jsonl(path)
    assert '"kind": "http.request"' in path.read_text()
    assert History.load_jsonl(path).events(SMTP_SEND) == [Event(0.5, "smtp.send", "smtp-1", True, None, "mail",
                                                                {"accepted": True})]
