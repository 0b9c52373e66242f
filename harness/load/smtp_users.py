"""Locust users that speak SMTP: the flood's attackers and the legitimate senders.

Each user holds one connection to one server and reuses it. Every attempt
fires one Locust request event: request_type "SMTP", name accepted, refused,
temp-failed or error, and an exception naming the code and stage when the
server did not accept. How often attempts go out is the process's pacer's
business (see traffic.py), so ``wait_time`` is zero.
"""

from __future__ import annotations

from typing import ClassVar

import gevent
from locust import User, constant, task
from locust.exception import StopUser
from locust.runners import WorkerRunner

from harness.load.mail import Mail
from harness.load.smtp_session import AttemptResult, Outcome, SmtpSession
from harness.load.traffic import Traffic


class SmtpNotAccepted(Exception):
    """The attempt ended without a 250 to DATA; the message groups Locust's failure table."""


class SmtpUser(User):
    abstract = True
    wait_time = constant(0)
    helo_prefix: ClassVar[str] = "client"
    legit: ClassVar[bool] = False
    # One per process, shared by its SMTP users; the locustfile resets it for each test.
    traffic: ClassVar[Traffic | None] = None

    def on_start(self) -> None:
        traffic = self._traffic()
        self.target = traffic.next_target()
        self.session = SmtpSession(self.target.host, self.target.port,
                                   helo=f"{self.helo_prefix}-{traffic.index}.invalid",
                                   timeout_s=traffic.timeout_s)

    def on_stop(self) -> None:
        self.session.close()

    @task
    def send_one(self) -> None:
        traffic = self._traffic()
        wait = traffic.reserve()
        if wait is None:
            raise StopUser()
        try:
            if wait > 0:
                gevent.sleep(wait)
            mail = traffic.mail.next()
            result = self.session.attempt(mail.sender, mail.recipients, mail.content)
            accepted = result.outcome is Outcome.ACCEPTED
            self.environment.events.request.fire(
                request_type="SMTP",
                name=result.outcome.value,
                response_time=result.elapsed_ms,
                response_length=len(mail.content),
                exception=None if accepted else SmtpNotAccepted(
                    f"{result.code if result.code is not None else 'no reply'} at {result.stage.value}"),
                context={"target": self.target.name, "code": result.code},
            )
            self.observe(traffic, result, mail)
        finally:
            traffic.release()

    def observe(self, traffic: Traffic, result: AttemptResult, mail: Mail) -> None:
        raise NotImplementedError

    def _traffic(self) -> Traffic:
        if SmtpUser.traffic is None:
            options = self.environment.parsed_options
            if options is None or not hasattr(options, "smtp_targets"):
                raise RuntimeError("SMTP users need the harness locustfile's options: "
                                   "run locust -f harness/load/locustfile.py")
            runner = self.environment.runner
            distributed = isinstance(runner, WorkerRunner)
            SmtpUser.traffic = Traffic.from_options(
                options, index=runner.worker_index if distributed else 0,
                workers=options.expect_workers if distributed else 1, legit=self.legit)
        return SmtpUser.traffic


class SmtpFloodUser(SmtpUser):
    """An attacker's connection: spam to random inboxes, as fast as the pacer allows."""

    helo_prefix = "flood"

    def observe(self, traffic: Traffic, result: AttemptResult, mail: Mail) -> None:
        traffic.observations.attack(self.target.name, result)


class LegitSenderUser(SmtpUser):
    """A legitimate sender: every attempt is recorded with its message id."""

    helo_prefix = "sender"
    legit = True

    def observe(self, traffic: Traffic, result: AttemptResult, mail: Mail) -> None:
        traffic.observations.legit(self.target.name, result, mail.message_id)
