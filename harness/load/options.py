"""The locustfile's own command-line options, set on the master and passed on to every worker.

Locust hands custom options from the master to its workers with each spawn
message, so a worker on another machine needs only ``--master-host``.
"""

from __future__ import annotations

from typing import Any

SMTP_TIMEOUT_S = 10.0


def add_options(parser: Any) -> None:
    """Register the options on Locust's argument parser (``init_command_line_parser``)."""
    group = parser.add_argument_group("outage-harness SMTP load")
    group.add_argument("--smtp-targets", default="",
                       help="name=address:port,... of the SMTP servers (private addresses only)")
    group.add_argument("--smtp-rate", type=float, default=1.0,
                       help="attempts per second, all workers together")
    group.add_argument("--smtp-total", type=int, default=0, help="attempts, all workers together")
    group.add_argument("--smtp-seconds", type=float, default=60.0,
                       help="no attempt starts later than this after the test starts")
    group.add_argument("--smtp-ramp", type=float, default=0.0,
                       help="seconds to reach the full rate")
    group.add_argument("--smtp-timeout", type=float, default=SMTP_TIMEOUT_S,
                       help="seconds an SMTP connection waits for a reply")
    group.add_argument("--mail-domain", default="mailstack.test", help="the domain the servers accept")
    group.add_argument("--sample", type=float, default=0.01,
                       help="fraction of flood attempts recorded one by one")
    group.add_argument("--probe-every", type=float, default=0.5,
                       help="seconds between refusal observations per server that did not change")
    group.add_argument("--seed", type=int, default=0, help="seeds message ids, recipients and sampling")
    group.add_argument("--records", default="",
                       help="master only: JSON-lines file the workers' records are written to")
