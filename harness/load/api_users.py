"""A Locust user of the mail API: reads inboxes through the front, as the service's users did.

Run with ``--host`` set to the front (the floating IP and front port). Inbox
addresses are the ones the flood writes to, so reads hit real data.
"""

from __future__ import annotations

import random

from locust import FastHttpUser, constant_pacing, task

from harness.load.mail import INBOXES

API_TIMEOUT_S = 5.0


class ApiInboxUser(FastHttpUser):
    wait_time = constant_pacing(1.0)  # one read per user per second: rate = users
    network_timeout = API_TIMEOUT_S
    connection_timeout = API_TIMEOUT_S

    def on_start(self) -> None:
        options = self.environment.parsed_options
        self.domain = options.mail_domain if options is not None else "mailstack.test"
        self.rng = random.Random()

    @task
    def read_inbox(self) -> None:
        address = f"user{self.rng.randrange(INBOXES)}@{self.domain}"
        self.client.get(f"/api/addresses/{address}/messages?limit=20",
                        name="/api/addresses/[address]/messages")
