"""Invariant declarations: what must stay true, judged from the history after the run.

Bounds (``within``, ``max``, ``grace``) are real time and never scaled: a
15-second recovery bound means 15 seconds whatever the time scale.

API targets are "front" (through the proxy), "legs" (every API leg, each
judged on its own) or one leg's node name; availability and latency also
accept "mail" (the SMTP delivery probe's sends).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from harness.scenario.fields import Duration, Identifier, ImportPath, Phase
from harness.scenario.timeline import Strict

MAIL = "mail"


class InvariantBase(Strict):
    id: Identifier


class NoMailLost(InvariantBase):
    """Every accepted message is stored exactly once by the end of the timeline + ``grace``.

    ``grace`` defaults to the scenario's grace.
    """

    kind: Literal["no_mail_lost"]
    grace: Duration | None = None


class Availability(InvariantBase):
    """At least ``min`` of the requests to ``target`` in ``phase`` succeed, not counting the
    phase's first ``settle`` (real time, never scaled: e.g. the election a failover needs,
    which takes the same seconds whatever the time scale)."""

    kind: Literal["availability"]
    target: str
    min: float = Field(ge=0, le=1)
    phase: Phase = "all"
    settle: Duration = 0.0


class LatencyBound(InvariantBase):
    """The ``percentile`` of request latency to ``target`` in ``phase`` stays under ``max``.

    Timed-out requests count as the API probe's timeout.
    """

    kind: Literal["latency"]
    target: str
    percentile: float = Field(default=99, gt=0, le=100)
    max: Duration
    phase: Phase = "all"


class Recovery(InvariantBase):
    """After fault ``after`` ends (or action ``after`` ends), ``target`` answers again within ``within`` and stays up.

    ``without_restart``: a node restart between that moment and recovery breaks it.
    """

    kind: Literal["recovery"]
    target: str
    after: str
    within: Duration
    without_restart: bool = True


class BlocklistPropagation(InvariantBase):
    """Every SMTP server refuses the IPs of block-ips ``action`` within ``within`` of its end."""

    kind: Literal["blocklist_propagation"]
    action: str
    within: Duration


class ErrorPagesLinkStatus(InvariantBase):
    """Every 5xx answer from ``target`` in ``phase`` links to the status page."""

    kind: Literal["error_pages_link_status"]
    target: str
    phase: Phase = "all"


class PrimaryOutside(InvariantBase):
    """Within ``within`` of fault ``fault`` starting, the replica set has a primary outside ``provider``."""

    kind: Literal["primary_outside"]
    fault: str
    provider: str
    within: Duration


class ActionSucceeds(InvariantBase):
    """Operator action ``action`` ends without an error."""

    kind: Literal["action_succeeds"]
    action: str


class CustomInvariant(InvariantBase):
    """``use`` ("package.module:function") is called with (history, context, **args) and returns a Verdict."""

    kind: Literal["custom"]
    use: ImportPath
    args: dict[str, Any] = Field(default_factory=dict)
    phase: Phase = "all"


Invariant = Annotated[
    NoMailLost
    | Availability
    | LatencyBound
    | Recovery
    | BlocklistPropagation
    | ErrorPagesLinkStatus
    | PrimaryOutside
    | ActionSucceeds
    | CustomInvariant,
    Field(discriminator="kind"),
]
