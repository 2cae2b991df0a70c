"""A hand-written ``Sender`` for unit and integration tests: records sends, fails as programmed."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from tasks.notify.sender import PreparedMessage, SendResult


@dataclass
class FakeSender:
    """Keeps every message it was asked to send; URLs in ``dead`` always fail, ``fail_first[url]`` N times."""

    dead: set[str] = field(default_factory=set)
    fail_first: dict[str, int] = field(default_factory=dict)
    delay: float = 0.0
    sent: list[PreparedMessage] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def send(self, message: PreparedMessage) -> SendResult:
        with self._lock:
            self.attempts[message.key] += 1
            attempt = self.attempts[message.key]
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            if message.url in self.dead:
                return SendResult(False, f"{message.url}: connection refused")
            if attempt <= self.fail_first.get(message.url, 0):
                return SendResult(False, f"{message.url}: HTTP 500 (attempt {attempt})")
            with self._lock:
                self.sent.append(message)
            return SendResult(True)
        finally:
            with self._lock:
                self.in_flight -= 1

    def sent_keys(self) -> Counter[str]:
        return Counter(m.key for m in self.sent)
