"""The harness's locustfile: ``locust -f harness/load/locustfile.py`` (master or worker).

Users: ``SmtpFloodUser`` (attackers) and ``LegitSenderUser`` (legitimate mail);
name the one to run on the master's command line. Options: see options.py.

- Worker: its SMTP users share one Traffic (its part of the rate and count,
  by worker index), whose observations ride on every stats report.
- Master: writes the workers' records, one JSON line each, to ``--records``;
  when every expected worker has spent its share it ends the test (and, when
  headless, the process), so the CSV files are final.
"""

from __future__ import annotations

import logging
from typing import Any

import gevent
import locust.runners
from locust import events
from locust.env import Environment
from locust.runners import MasterRunner

from harness.load.options import add_options
from harness.load.record_log import RecordLog
from harness.load.smtp_users import LegitSenderUser, SmtpFloodUser, SmtpUser

__all__ = ["LegitSenderUser", "SmtpFloodUser"]

REPORT_KEY = "outage_harness"
# Workers report every second instead of every three: load.stats and refusal
# observations reach the history that much sooner.
locust.runners.WORKER_REPORT_INTERVAL = 1.0
# A worker flooding flat out on a busy 2-core machine can miss a few one-second
# heartbeats; Locust's default (3) then drops every worker and stops the test.
locust.runners.HEARTBEAT_LIVENESS = 15

log = logging.getLogger("outage-harness.load")


class _Master:
    environment: Environment | None = None
    records: RecordLog | None = None
    ending = False


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    add_options(parser)


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    if isinstance(environment.runner, MasterRunner) and options is not None and options.records:
        _Master.environment = environment
        _Master.records = RecordLog(options.records, expected_workers=options.expect_workers)


@events.test_start.add_listener
def _start(environment: Environment, **_: Any) -> None:
    if _Master.records is not None:
        _Master.records.started()
    # A new test (the web UI's "new" button) starts from fresh shares.
    SmtpUser.traffic = None


@events.test_stop.add_listener
def _stopped(environment: Environment, **_: Any) -> None:
    # Whatever stopped the test (every share spent, lost workers, the run-time bound),
    # a headless master has nothing left to do: exit, so the harness sees the end.
    if environment is _Master.environment and _headless(environment):
        _end(environment)


@events.report_to_master.add_listener
def _report(client_id: str, data: dict[str, Any]) -> None:
    if SmtpUser.traffic is not None:
        data[REPORT_KEY] = SmtpUser.traffic.report()


@events.worker_report.add_listener
def _received(client_id: str, data: dict[str, Any]) -> None:
    report = data.get(REPORT_KEY)
    if report is not None and _Master.records is not None and _Master.records.write(client_id, report):
        gevent.spawn(_finish)


def _finish() -> None:
    environment = _Master.environment
    if environment is None or environment.runner is None:
        return
    log.info("every worker spent its share of the load; ending the test")
    if _headless(environment):
        _end(environment)
    else:
        environment.runner.stop()  # the web UI stays up with the final figures


def _end(environment: Environment) -> None:
    if not _Master.ending and environment.runner is not None:
        _Master.ending = True
        gevent.spawn(environment.runner.quit)


def _headless(environment: Environment) -> bool:
    return environment.parsed_options is not None and bool(environment.parsed_options.headless)
