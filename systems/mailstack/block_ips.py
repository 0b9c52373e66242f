"""Block IPs on every SMTP server, through the mail API as the 2018 operators did."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from typing import Any, Literal

import httpx
from pydantic import field_validator, model_validator

from harness.actions import ActionContext, ActionRefused, ActionSpec
from harness.events import ACTION_RETRY
from harness.extensions import ACTIONS
from harness.fields import invalid
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope
from systems.mailstack.roles import API_KEY, FRONT_PORT

API_CALL_TIMEOUT_S = 10
# An operator retries a change the API fails to take, for about a minute.
BLOCK_RETRY_FOR_S = 60


@ACTIONS.register
class BlockIps(ActionSpec):
    """Add IPs to the SMTP blocklist through the API's front (the floating IP): the listed
    ``ips``, or the addresses load ``from_load`` sends from."""

    kind: Literal["block-ips"]
    ips: list[str] | None = None
    from_load: str | None = None

    @field_validator("ips")
    @classmethod
    def _addresses(cls, ips: list[str] | None) -> list[str] | None:
        for ip in ips or []:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise invalid(f"'{ip}' is not an IP address", "write addresses like 203.0.113.7") from None
        return ips

    @model_validator(mode="after")
    def _one_source(self) -> BlockIps:
        if (self.ips is None) == (self.from_load is None):
            raise invalid("block-ips needs exactly one of 'ips' and 'from_load'",
                          "list the addresses (ips: [203.0.113.7]) or name the flood (from_load: flood)")
        return self

    def problems(self, scope: Scope) -> Iterator[Problem]:
        if self.from_load is not None:
            yield from scope.entry(("from_load",), self.from_load, "load")
        if not any(n.floating for n in scope.topology.nodes):
            yield Problem(("kind",), "block-ips goes through the API's front, and no node holds the floating IP",
                          "add a proxy node")

    def perform(self, ctx: ActionContext, action_id: str) -> Any:
        addresses = self.ips if self.ips is not None else ctx.load_addresses(self.from_load or "")
        _block_through_the_api(f"http://{ctx.stack.floating_ip}:{FRONT_PORT}", addresses, action_id, ctx)
        return {"blocked": addresses}


def _block_through_the_api(front: str, addresses: list[str], action_id: str, ctx: ActionContext) -> None:
    """POST the blocklist through the front, retrying server errors and timeouts as an
    operator would (each failed try is an action.retry event), until BLOCK_RETRY_FOR_S."""
    deadline = time.monotonic() + BLOCK_RETRY_FOR_S
    while True:
        try:
            response = httpx.post(f"{front}/api/blocklist", json={"ips": addresses},
                                  headers={"X-Api-Key": API_KEY}, timeout=API_CALL_TIMEOUT_S)
            if response.status_code < 300:
                return
            failure = f"the API answered {response.status_code}: {_first_line(response.text)}"
            if response.status_code < 500:
                raise ActionRefused(failure)
        except httpx.HTTPError as err:
            failure = f"{type(err).__name__}: {err}"
        if time.monotonic() >= deadline:
            raise ActionRefused(f"gave up after {BLOCK_RETRY_FOR_S:.0f} s; last try: {failure}")
        ctx.history.record(ACTION_RETRY, action_id, False, error=failure)
        time.sleep(1)


def _first_line(body: str) -> str:
    """An error page's headline rather than its markup."""
    text = " ".join(body.replace("<", " <").split())
    for tag in ("<h1>", "<title>"):
        if tag in text:
            return text.split(tag, 1)[1].split("<", 1)[0].strip()
    return text[:200]
