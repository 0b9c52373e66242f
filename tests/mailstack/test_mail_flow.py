"""As-fixed, everything healthy: mail in over SMTP, out through HAProxy; blocklist without the API."""

from __future__ import annotations

import asyncio
import smtplib
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from polling import wait_until

from fixtures.mailstack.settings import DatabaseSettings
from fixtures.mailstack.store import MailStore

from .conftest import STATUS_PAGE, FixedStack, front_proxy
from .mail import inbox, inbox_address, new_message, send, wait_for_inbox
from .procs import API_KEY, haproxy_server_status, smtp_metrics

BLOCKED_IP = "127.0.0.2"


def test_mail_sent_over_smtp_is_readable_through_the_front(fixed_stack: FixedStack) -> None:
    address = inbox_address("flow")
    message_id = send(
        fixed_stack.smtp_port, new_message(address, subject="through the front", body="hello front\n")
    )

    listing = wait_for_inbox(fixed_stack.front, address)
    assert [m["message_id"] for m in listing] == [message_id]
    summary = listing[0]
    assert summary["subject"] == "through the front" and summary["server"] == "smtp-1"

    response = httpx.get(f"{fixed_stack.front}/api/addresses/{address}/messages/{summary['id']}", timeout=5)
    assert response.status_code == 200
    assert response.headers["X-Api-Leg"] in ("api-1", "api-2")
    full = response.json()
    assert full["body"] == "hello front\n" and full["recipients"] == [address]
    assert full["sender"] == "alice@example.org" and full["client_ip"] == "127.0.0.1"

    deleted = httpx.delete(f"{fixed_stack.front}/api/addresses/{address}/messages/{summary['id']}", timeout=5)
    assert deleted.status_code == 204
    assert inbox(fixed_stack.front, address).json() == []


def test_one_message_to_two_inboxes_is_one_document(fixed_stack: FixedStack) -> None:
    first, second = inbox_address("a"), inbox_address("b")
    message = new_message(first)
    message["Cc"] = second
    message_id = send(fixed_stack.smtp_port, message)
    for address in (first, second):
        assert [m["message_id"] for m in inbox(fixed_stack.front, address).json()] == [message_id]


def test_blocklist_changes_need_the_api_key(fixed_stack: FixedStack) -> None:
    api = fixed_stack.front
    calls = [
        ("PUT", f"{api}/api/blocklist/203.0.113.9", None),
        ("POST", f"{api}/api/blocklist", {"ips": ["203.0.113.9"]}),
        ("DELETE", f"{api}/api/blocklist/203.0.113.9", None),
    ]
    for method, url, body in calls:
        assert httpx.request(method, url, json=body, timeout=5).status_code == 401
        assert (
            httpx.request(method, url, json=body, headers={"X-Api-Key": "wrong"}, timeout=5).status_code
            == 403
        )
    assert httpx.get(f"{api}/api/blocklist", timeout=5).status_code == 200
    assert (
        httpx.put(f"{api}/api/blocklist/not-an-ip", headers={"X-Api-Key": API_KEY}, timeout=5).status_code
        == 422
    )


def _refused(port: int, source_ip: str) -> bool:
    try:
        send(port, new_message(inbox_address("probe")), source_ip=source_ip)
    except smtplib.SMTPSenderRefused as refusal:
        assert refusal.smtp_code == 554
        return True
    return False


def test_blocked_ip_is_refused_within_the_propagation_bound(fixed_stack: FixedStack) -> None:
    keyed = {"X-Api-Key": API_KEY}
    assert not _refused(fixed_stack.smtp_port, BLOCKED_IP)
    response = httpx.put(f"{fixed_stack.front}/api/blocklist/{BLOCKED_IP}", headers=keyed, timeout=5)
    assert response.status_code == 200 and BLOCKED_IP in response.json()["ips"]

    wait_until(
        lambda: _refused(fixed_stack.smtp_port, BLOCKED_IP), timeout=5, interval=0.02, what="the block"
    )
    assert not _refused(fixed_stack.smtp_port, "127.0.0.1")
    blocklist = smtp_metrics(fixed_stack.smtp_metrics_port)["blocklist"]
    assert BLOCKED_IP in blocklist["ips"]
    # The server's own record: from the change in the database to enforcing it. The
    # documented bound is poll period (200 ms) + DB timeout (1 s).
    changed_in_database = datetime.fromisoformat(response.json()["changed_at"]).timestamp()
    assert blocklist["source_changed_at"] == pytest.approx(changed_in_database, abs=0.002)
    assert 0 <= blocklist["changed_at"] - changed_in_database < 1.2
    assert smtp_metrics(fixed_stack.smtp_metrics_port)["refused"]["blocklisted"] >= 1

    assert (
        httpx.delete(f"{fixed_stack.front}/api/blocklist/{BLOCKED_IP}", headers=keyed, timeout=5).status_code
        == 200
    )
    wait_until(lambda: not _refused(fixed_stack.smtp_port, BLOCKED_IP), timeout=5, what="the unblock")


def test_as_fixed_blocklist_reaches_smtp_straight_from_the_database(fixed_stack: FixedStack) -> None:
    """No API involved: the SMTP server has no API_BASE_URL and the block is written to the database."""

    async def block_in_database() -> None:
        store = MailStore.connect(
            DatabaseSettings(fixed_stack.db_uri, fixed_stack.db_name, 2.0),
            app_name="test",
            majority_writes=True,
        )
        try:
            await store.block(["127.0.0.3"])
        finally:
            await store.close()

    asyncio.run(block_in_database())
    wait_until(
        lambda: _refused(fixed_stack.smtp_port, "127.0.0.3"), timeout=2, interval=0.02, what="the block"
    )
    assert (
        httpx.delete(
            f"{fixed_stack.front}/api/blocklist/127.0.0.3", headers={"X-Api-Key": API_KEY}, timeout=5
        ).status_code
        == 200
    )


def test_sick_leg_answers_503_fast_with_the_status_page(fixed_stack: FixedStack) -> None:
    started = time.monotonic()
    response = inbox(fixed_stack.legs["api-sick"], inbox_address())
    assert response.status_code == 503
    assert time.monotonic() - started < 2.0  # DB timeout 300 ms, plus room for a loaded machine
    assert response.json()["status_page"] == STATUS_PAGE
    assert response.headers["X-Api-Leg"] == "api-sick"
    assert httpx.get(f"{fixed_stack.legs['api-sick']}/healthz", timeout=2).status_code == 200
    assert httpx.get(f"{fixed_stack.legs['api-sick']}/readyz", timeout=2).status_code == 503


def test_haproxy_keeps_the_sick_leg_out_and_balances_the_others(fixed_stack: FixedStack) -> None:
    if fixed_stack.haproxy_stats is None:
        pytest.skip("haproxy is not installed")
    stats = fixed_stack.haproxy_stats
    wait_until(
        lambda: haproxy_server_status(stats).get("api-sick") == "DOWN", timeout=5, what="api-sick marked DOWN"
    )
    legs = set()
    for _ in range(20):
        response = httpx.get(f"{fixed_stack.front}/api/blocklist", timeout=5)
        assert response.status_code == 200
        legs.add(response.headers["X-Api-Leg"])
    assert legs == {"api-1", "api-2"}


@pytest.mark.parametrize(
    ("status_page_url", "linked"), [(STATUS_PAGE, True), (None, False)], ids=["as-fixed", "as-was"]
)
def test_front_error_page_links_the_status_page_only_as_fixed(
    fixed_stack: FixedStack,
    tmp_path_factory: pytest.TempPathFactory,
    log_dir: Path,
    status_page_url: str | None,
    linked: bool,
) -> None:
    if fixed_stack.haproxy_stats is None:
        pytest.skip("haproxy is not installed")
    sick_port = int(fixed_stack.legs["api-sick"].rsplit(":", 1)[1])
    front = front_proxy(
        tmp_path_factory.mktemp("front-sick"), {"api-sick": sick_port}, log_dir,
        status_page_url=status_page_url, name="haproxy-sick",
    ).start()
    try:
        stats = f"http://127.0.0.1:{front.ports['stats']}"
        wait_until(
            lambda: haproxy_server_status(stats).get("api-sick") == "DOWN",
            timeout=5,
            what="api-sick marked DOWN",
        )
        response = httpx.get(f"http://127.0.0.1:{front.ports['front']}/api/blocklist", timeout=5)
        assert response.status_code == 503
        assert "X-Api-Leg" not in response.headers  # answered by the proxy itself
        assert (STATUS_PAGE in response.text) is linked
    finally:
        front.stop()
