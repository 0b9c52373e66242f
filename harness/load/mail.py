"""The messages load processes send: flood spam to random inboxes, legitimate mail to a few.

Every message carries a Message-ID unique to its process (a seeded token plus
a counter), so each accepted one is stored once and can be looked up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from email.utils import formatdate

SPAM_BODY = (
    "Dear customer,\r\n\r\n"
    "Your mailbox has been selected for an exclusive offer. This message is part of\r\n"
    "the outage harness's flood replay and carries no content worth reading.\r\n"
) + "".join(f"Line {n} of filler so the message has the size of ordinary spam.\r\n" for n in range(12))
LEGIT_BODY = "Hello,\r\n\r\nThe minutes of Tuesday's meeting are attached in spirit.\r\n\r\nRegards\r\n"
INBOXES = 2000
LEGIT_INBOXES = 20


@dataclass(frozen=True, slots=True)
class Mail:
    message_id: str
    sender: str
    recipients: list[str]
    content: bytes


@dataclass
class MailFactory:
    """Numbered messages for one process; ``legit`` picks the legitimate kind."""

    domain: str
    rng: random.Random
    legit: bool
    token: str = ""
    sent: int = 0
    _date: str = field(default_factory=lambda: formatdate(localtime=False))

    def __post_init__(self) -> None:
        self.token = self.token or f"{self.rng.getrandbits(48):012x}"

    def next(self) -> Mail:
        self.sent += 1
        if self.legit:
            kind, sender = "legit", f"colleague{self.sent % 7}@sender.invalid"
            recipient = f"legit{self.sent % LEGIT_INBOXES}@{self.domain}"
            subject, body = f"Meeting minutes {self.sent}", LEGIT_BODY
        else:
            kind, sender = "flood", f"offers{self.rng.randrange(100)}@attacker.invalid"
            recipient = f"user{self.rng.randrange(INBOXES)}@{self.domain}"
            subject, body = "You have been selected", SPAM_BODY
        message_id = f"<{kind}-{self.token}-{self.sent}@harness.{self.domain}>"
        content = (f"From: {sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\nDate: {self._date}\r\n"
                   f"Message-ID: {message_id}\r\n\r\n{body}").encode()
        return Mail(message_id, sender, [recipient], content)
