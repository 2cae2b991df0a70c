"""The plain paths the benchmarks measure Zhenggai's against (bench-only code, not part of the product).

- ``sync_naive``: ``check_measure.to_deployment(...).apply()`` one measure after the other, as Prefect's
  documentation shows it (creates and updates only), against ``flows.sync.sync_bulk`` (target: the bulk
  first sync ≥ 4× faster per measure in the same run, issue 21);
- ``send_sequentially``: a plain loop of blocking Apprise calls, and ``send_concurrently``: the bounded
  thread-pool fan-out without any delivery log, against ``tasks.notify.outbox.deliver``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tasks.notify.sender import AppriseSender, PreparedMessage, Sender, direct_asset, fan_out, resolve_url
from tasks.schedule.deployments import ENTRYPOINT, WantedDeployment


def sync_naive(wanted: list[WantedDeployment], *, work_pool: str | None = None) -> list[str]:
    """Register each measure with ``to_deployment(...).apply()``, one after the other (for the benchmark)."""
    from prefect.schedules import Cron, RRule

    from flows.check_measure import check_measure

    ids = []
    for want in wanted:
        schedules = [
            (Cron if s.kind == "cron" else RRule)(
                s.value, timezone=s.timezone, slug=s.slug, parameters=s.parameters
            )
            for s in want.schedules
        ]
        deployment: Any = check_measure.to_deployment(
            name=want.name,
            schedules=schedules,
            parameters=want.parameters,
            tags=list(want.tags),
            description=want.description,
            paused=want.paused,
        )
        deployment.entrypoint = ENTRYPOINT
        ids.append(str(deployment.apply(work_pool_name=work_pool)))
    return ids


@dataclass
class SendCounts:
    """What a fan-out did: messages sent, failed, skipped (claimed elsewhere), and how long it took."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    errors: dict[str, str] = field(default_factory=dict)  # key → error text

    @property
    def per_second(self) -> float:
        return (self.sent + self.failed) / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
        }


def send_concurrently(
    messages: list[PreparedMessage], sender: Sender | None = None, concurrency: int = 32
) -> SendCounts:
    """Send every message once, ``concurrency`` at a time, without any log (the benchmark's fan-out)."""
    sender = sender or AppriseSender()
    started = time.perf_counter()
    results = fan_out(messages, sender.send, concurrency)
    counts = SendCounts(seconds=0.0)
    for message, result in zip(messages, results, strict=True):
        if result.ok:
            counts.sent += 1
        else:
            counts.failed += 1
            counts.errors[message.key] = result.error
    counts.seconds = time.perf_counter() - started
    return counts


def send_sequentially(messages: list[PreparedMessage]) -> SendCounts:
    """The baseline: a plain loop of blocking ``apprise.Apprise.notify`` calls, one message after another."""
    import apprise

    started = time.perf_counter()
    counts = SendCounts()
    for message in messages:
        notifier = apprise.Apprise(asset=direct_asset())
        notifier.add(resolve_url(message.url))
        if notifier.notify(body=message.body, title=message.title):
            counts.sent += 1
        else:
            counts.failed += 1
    counts.seconds = time.perf_counter() - started
    return counts
