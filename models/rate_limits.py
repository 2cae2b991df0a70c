"""Per-endpoint rate limits: may an endpoint take one more message now, and if not, when.

Pure rules, no I/O. A limit is ``per_minute`` messages in any sliding window of ``WINDOW`` (60 s),
kept with a margin (``SPACING``):
WeCom and DingTalk group robots accept 20 a minute and block the robot for 10 minutes when exceeded,
so the window is exact (the last ``per_minute`` send moments are kept), never a fixed minute that
would let 2 × 20 through across a minute's boundary. The moments are the outbox's claims (a claim is
followed by its send at once), kept per endpoint in the ledger (``tables.EndpointWindow``), so every
sender (the CLI sweep, serve, workers) shares one window per endpoint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(seconds=60)  # the channel's: 20 a minute
# Ours: sends kept this far apart, the channel's window and a margin for the time a send takes from its
# claim (the moment kept) to its arrival, which a busy machine stretches (a second, measured under load).
SPACING = WINDOW + timedelta(seconds=2)

# Messages a minute per Apprise scheme, unless a contact says otherwise (``rate_limit`` in the plan) or
# ``ZHENGGAI_RATE_LIMITS`` replaces the table. Group robots: 20 a minute (WeCom, DingTalk); Feishu and
# Lark bots: 100 a minute; e-mail: a conservative 30 a minute (mail servers throttle bulk senders).
# A scheme not listed (a JSON webhook of one's own) is not limited. An ``env:``/``secret:`` reference is
# limited by the scheme it resolves to, resolved when its message is claimed (``tasks.notify.outbox``).
DEFAULT_PER_MINUTE: dict[str, int] = {
    "wecombot": 20,
    "dingtalk": 20,
    "feishu": 100,
    "lark": 100,
    "mailto": 30,
    "mailtos": 30,
}


def endpoint_key(url: str) -> str:
    """The endpoint a URL (or ``env:``/``secret:`` reference) reaches, as stored: a hash, never the URL
    (it may hold a token). Two contacts with the same robot URL share one endpoint and one window."""
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:40]


def limit_for(channel: str, override: int | None, defaults: Mapping[str, int]) -> int | None:
    """Messages a minute for an endpoint of ``channel`` (its Apprise scheme); None: not limited.

    A contact's ``override`` wins (0: not limited); otherwise the scheme's default.
    """
    if override is not None:
        return override or None
    return defaults.get(channel)


@dataclass(frozen=True)
class Slot:
    """What the rule says about one more message to an endpoint at a moment."""

    allowed: bool
    next_at: datetime  # when it may go: the moment asked about when allowed
    window: tuple[datetime, ...]  # the send moments to keep (with this one, when allowed)


def recent(window: Sequence[datetime], now: datetime) -> tuple[datetime, ...]:
    """The send moments still inside the spacing ending at ``now``, oldest first."""
    return tuple(sorted(moment for moment in window if now - moment < SPACING))


def take_slot(window: Sequence[datetime], per_minute: int, now: datetime) -> Slot:
    """May an endpoint whose recent send moments are ``window`` take one more message at ``now``?

    Allowed while fewer than ``per_minute`` moments lie in the last ``SPACING`` (60 s and a margin);
    the moment is then added. Otherwise the message waits until the oldest of the last ``per_minute``
    moments is that far behind.
    """
    if per_minute < 1:
        raise ValueError(f"a rate limit is at least 1 message a minute, not {per_minute}")
    kept = recent(window, now)
    if len(kept) < per_minute:
        return Slot(True, now, (*kept, now)[-per_minute:])
    return Slot(False, kept[-per_minute] + SPACING, kept)


def schedule(window: Sequence[datetime], per_minute: int, now: datetime, count: int) -> list[datetime]:
    """The moments ``count`` messages waiting for one endpoint may go, in turn, from ``now`` on."""
    moments: list[datetime] = []
    kept = list(recent(window, now))
    at = now
    for _ in range(count):
        slot = take_slot(kept, per_minute, at)
        while not slot.allowed:
            at = slot.next_at
            slot = take_slot(kept, per_minute, at)
        moments.append(at)
        kept = list(slot.window)
    return moments
