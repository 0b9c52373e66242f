"""The mail stack's probes: mail through every SMTP server into its database, and inbox reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field

from harness.events import EventKind
from harness.extensions import PROBES
from harness.fields import Duration
from harness.probes import PeriodicProbe, ProbeContext, ProbeSpec, Target
from harness.probes.http import HttpProbeSpec
from harness.probes.smtp import SMTP_SEND, SmtpSender
from harness.scenario.errors import Problem
from harness.scenario.spec import Scope
from systems.mailstack.ledger import DatabaseLedger
from systems.mailstack.roles import FRONT_PORT, MAIL_DOMAIN, SMTP, STATUS_PAGE_URL
from systems.mongodb.roles import members

PROBE_INBOX = f"/api/addresses/probe@{MAIL_DOMAIN}/messages"


@PROBES.register
class MailDelivery(ProbeSpec):
    """One uniquely identified message through each SMTP server every period; the ledger counts
    each accepted one in the stack's database (exactly once, or lost, or duplicated)."""

    kind: Literal["mail_delivery"]
    observes: ClassVar[EventKind] = SMTP_SEND
    targets: list[str] = Field(default_factory=lambda: [f"role:{SMTP}"], min_length=1)
    ledger_every: Duration = Field(default=2.0, gt=0)

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.targets(("targets",), self.targets, floating=False)
        if not members(scope.topology):
            yield Problem((), "the mail ledger reads the stack's replica set, and the topology has none",
                          "add mongo nodes, or use an smtp probe with a via: read-back instead")

    def start(self, ctx: ProbeContext) -> list[PeriodicProbe]:
        servers = {t.name: (t.address, ctx.stack.topology.port_of(t.name)) for t in ctx.targets(self.targets)}
        database = {n.name: (ctx.stack.access(n.name).address, n.port or 0) for n in members(ctx.stack.topology)}
        return [SmtpSender(self.id, ctx.history, self.every, servers, f"probe@{MAIL_DOMAIN}"),
                DatabaseLedger(self.id, ctx.history, self.ledger_every, database)]


@PROBES.register
class MailApi(HttpProbeSpec):
    """An HTTP probe of the mail API: by default the probe inbox, through each target (the
    floating IP serves the front on port 80); each answer notes whether an error page links to
    the status page (``status_link``) and which leg answered (``leg``)."""

    kind: Literal["mail_api"]  # type: ignore[assignment]
    path: str = PROBE_INBOX

    def problems(self, scope: Scope) -> Iterator[Problem]:
        yield from scope.targets(("targets",), self.targets)

    def port_of(self, ctx: ProbeContext, target: Target) -> int:
        if self.port is None and target.node is None:
            return FRONT_PORT
        return super().port_of(ctx, target)

    def extra(self, response: httpx.Response) -> dict[str, Any]:
        return {"status_link": STATUS_PAGE_URL in response.text, "leg": response.headers.get("x-api-leg")}
