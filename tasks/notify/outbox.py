"""The delivery outbox: claim each due message, send it once, record its outcome.

Plain functions (tests call them without Prefect); the Prefect tasks wrapping them live in
``flows.notify``. The outbox is the one place that commits inside a function: every claim and every
outcome is its own transaction, so that a process dying mid-batch leaves each message's truth behind.

Exactly once, how (messages were recorded once by key, see ``tasks.notify.planner``):

- **Claim.** Before sending, a sender moves the row from ``pending``/``held`` to ``sending`` with one
  conditional ``UPDATE`` and commits; only the run whose update changed the row sends it.
- **Outcome.** Right after the send the row becomes ``sent``, or ``pending`` again (another attempt is
  due, the delivery task retries with backoff) or ``failed`` after ``max_attempts`` attempts.
- **In doubt.** A row left in ``sending`` longer than the lease belongs to a process that died during
  the send: the message may or may not have arrived. It is marked ``in_doubt`` (not ``failed``) with
  the reason and is not resent automatically (at most once); ``zhenggai notifications --resend`` leaves
  it too, unless it is named (``--id``) or asked for (``--include-in-doubt``). After a crash at most
  ``delivery_concurrency`` messages (one per sending thread) can be in doubt.
  A send that was only slow (its outcome arrives after the row was marked in doubt) still records
  the truth: ``sent``, with a note in ``error`` that it had been in doubt.
- **Cancelled.** A message whose measure was reported done, closed (销号) or removed before its turn
  (a held reminder, a retry) is not sent: it is marked ``failed`` with the reason.
  The window is one in-flight request per sending thread; every message carries its key in an
  ``X-Zhenggai-Key`` header where the channel allows, so a receiver can drop a repeat after a resend.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Select, func, or_, select, update
from sqlalchemy.orm import Session

from models.db import Database
from models.enums import DeliveryStatus, MeasureStatus, MessageKind, ReportStatus
from models.links import SIGN_IN_PATH, unmask_links
from models.notifications import message_member
from models.settings import get_settings
from models.tables import (
    Contact,
    Delivery,
    Measure,
    Problem,
    utcnow,
)
from tasks.ledger.keys import signing_key
from tasks.notify.sender import PreparedMessage, Sender, SendResult, fan_out

# A claim older than this belongs to a process that died mid-send (Apprise's HTTP timeouts are
# seconds, SMTP's 15 s): the message is then in doubt.
DEFAULT_LEASE_SECONDS = 120.0
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.HELD)
SENT_AFTER_DOUBT = (
    "sent: the send outlasted the lease and the message had been marked in doubt meanwhile; "
    "it did go out (a --resend would have been skipped)"
)
IN_DOUBT_ERROR = (
    "in doubt: the sending process stopped during the send; the message may have arrived. Not resent "
    "automatically: ask the recipient, then `zhenggai notifications --resend --id N` if it did not."
)
FAILED_AFTER_DOUBT = (
    "the send outlasted the lease (marked in doubt meanwhile) and then failed: it did not arrive. "
)

logger = logging.getLogger("zhenggai.notify")


@dataclass
class DeliveryCounts:
    """What one delivery pass did."""

    sent: int = 0
    failed: int = 0  # out of attempts (final)
    retry: int = 0  # failed this time, another attempt is due
    skipped: int = 0  # claimed by another run meanwhile
    in_doubt: int = 0  # found stuck in 'sending' past the lease and marked failed
    cancelled: int = 0  # not sent: the measure was done, closed or removed meanwhile (marked failed)

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "retry": self.retry,
            "skipped": self.skipped,
            "in_doubt": self.in_doubt,
            "cancelled": self.cancelled,
        }

    def add(self, other: DeliveryCounts) -> None:
        for name, value in other.as_dict().items():
            setattr(self, name, getattr(self, name) + value)


def expire_in_doubt(database: Database, *, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> int:
    """Mark rows stuck in ``sending`` past the lease as in doubt; return how many."""
    cutoff = utcnow() - timedelta(seconds=lease_seconds)
    with database.unit_of_work() as session:
        outcome: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Delivery)
            .where(Delivery.status == DeliveryStatus.SENDING, Delivery.last_attempt_at < cutoff)
            .values(
                status=DeliveryStatus.IN_DOUBT,
                error=IN_DOUBT_ERROR,
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
    return int(outcome.rowcount or 0)


def due_ids(
    database: Database,
    *,
    now: datetime,
    max_attempts: int,
    ids: Sequence[int] | None = None,
    measure_code: str | None = None,
) -> list[int]:
    """Open deliveries due at ``now`` with attempts left, oldest first (among ``ids``, of one measure)."""
    with database.unit_of_work() as session:
        query: Select[tuple[int]] = (
            select(Delivery.id)
            .where(Delivery.status.in_(OPEN), Delivery.due_at <= now, Delivery.attempts < max_attempts)
            .order_by(Delivery.due_at, Delivery.id)
        )
        if measure_code is not None:
            query = query.join(Measure, Measure.id == Delivery.measure_id).where(Measure.code == measure_code)
        if ids is not None:
            found: list[int] = []
            for start in range(0, len(ids), 500):
                found += session.scalars(query.where(Delivery.id.in_(list(ids[start : start + 500])))).all()
            return sorted(found)
        return list(session.scalars(query))


def _cancel_reason(kind: str, measure_id: int | None, status: MeasureStatus | None, removed: bool) -> str:
    """Why a message about a measure is no longer to be sent ('' when it is)."""
    if kind in (
        MessageKind.DIGEST,
        MessageKind.ASSESSMENT,
        MessageKind.CALENDAR,
        MessageKind.RUN_FAILED,
        MessageKind.TEST,
    ):
        # about a unit, a round or the installation, not one measure
        return ""
    if measure_id is None or removed:
        return "measure removed before sending"
    if status == MeasureStatus.CLOSED:
        return "measure closed before sending"
    if status == MeasureStatus.DONE:
        return "measure reported done before sending"
    return ""


def _prepared(database: Database, ids: Sequence[int]) -> list[tuple[int, PreparedMessage | None, str]]:
    """Each row with its message (the URL read from the contact now; None when it has no URL any more)
    and why it is cancelled ('' when it is not): its measure was reported done, closed or removed."""
    out: list[tuple[int, PreparedMessage | None, str]] = []
    with database.unit_of_work() as session:
        signing: bytes | None = None
        for start in range(0, len(ids), 500):
            rows = session.execute(
                select(
                    Delivery.id,
                    Delivery.key,
                    Delivery.title,
                    Delivery.body,
                    Delivery.url_index,
                    Contact.urls,
                    Delivery.kind,
                    Delivery.measure_id,
                    Measure.status,
                    or_(Measure.removed_at.is_not(None), Problem.removed_at.is_not(None)),
                    Delivery.unit_id,
                )
                .outerjoin(Contact, Contact.id == Delivery.contact_id)
                .outerjoin(Measure, Measure.id == Delivery.measure_id)
                .outerjoin(Problem, Problem.id == Measure.problem_id)
                .where(Delivery.id.in_(list(ids[start : start + 500])))
                .order_by(Delivery.due_at, Delivery.id)
            ).all()
            done = _members_done(session, rows)
            for row_id, key, title, body, index, urls, kind, measure_id, status, removed, unit_id in rows:
                url = urls[index] if urls and 0 <= index < len(urls) else None
                reason = _cancel_reason(kind, measure_id, status, bool(removed))
                if SIGN_IN_PATH in body:  # the log keeps links masked: sign them again to send
                    signing = signing or signing_key(session, now=utcnow())
                    body = unmask_links(body, signing, utcnow() + get_settings().link_ttl)
                if not reason and (measure_id, unit_id) in done and message_member(key):
                    reason = "member reported done before sending"
                out.append((row_id, PreparedMessage(key, url, title, body) if url else None, reason))
        session.commit()  # a signing key created here is kept
    return out


def _members_done(session: Session, rows: Sequence[Any]) -> set[tuple[int, int]]:
    """The (measure, member) pairs among rows about one member's share whose member has reported done."""
    shares = {(row.measure_id, row.unit_id) for row in rows if row.unit_id and message_member(row.key)}
    if not shares:
        return set()
    from tasks.ledger.collectives import latest_member_claims

    claims = latest_member_claims(session, {m for m, _ in shares}, {u for _, u in shares})
    return {pair for pair in shares if pair in claims and claims[pair][1] == ReportStatus.DONE}


def _cancel(database: Database, row_id: int, reason: str) -> bool:
    """Mark an open row failed with ``reason`` instead of sending it; False when another run took it."""
    with database.unit_of_work() as session:
        outcome: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Delivery)
            .where(Delivery.id == row_id, Delivery.status.in_(OPEN))
            .values(status=DeliveryStatus.FAILED, error=reason)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    return outcome.rowcount == 1


def _claim(database: Database, row_id: int, now: datetime, max_attempts: int) -> bool:
    with database.unit_of_work() as session:
        outcome: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Delivery)
            .where(
                Delivery.id == row_id,
                Delivery.status.in_(OPEN),
                Delivery.due_at <= now,
                Delivery.attempts < max_attempts,
            )
            .values(status=DeliveryStatus.SENDING, attempts=Delivery.attempts + 1, last_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        session.commit()
    return outcome.rowcount == 1


def _record(database: Database, row_id: int, result: SendResult, max_attempts: int) -> str:
    """Write a send's outcome; return 'sent', 'retry' or 'failed'.

    The row is normally still ``sending`` (this run's claim). When it is not, the send outlasted the
    lease and ``expire_in_doubt`` marked it in doubt meanwhile: the outcome is then recorded anyway (a
    message that went out is ``sent``, so a ``--resend`` skips it) with a note, and logged.
    """
    with database.unit_of_work() as session:
        if result.ok:
            values: dict[str, Any] = {"status": DeliveryStatus.SENT, "sent_at": utcnow(), "error": ""}
            verdict = "sent"
        else:
            attempts = session.scalar(select(Delivery.attempts).where(Delivery.id == row_id)) or 0
            final = attempts >= max_attempts
            values = {
                "status": DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
                "error": result.error[:2000],
            }
            verdict = "failed" if final else "retry"
        outcome: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Delivery)
            .where(Delivery.id == row_id, Delivery.status == DeliveryStatus.SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if outcome.rowcount == 1:
            session.commit()
            return verdict
        if result.ok:
            # It went out: whatever the row says now (failed in doubt, or pending again after a
            # --resend that has not been sent yet), the truth is "sent".
            late: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(Delivery)
                .where(Delivery.id == row_id, Delivery.status != DeliveryStatus.SENT)
                .values(status=DeliveryStatus.SENT, sent_at=utcnow(), error=SENT_AFTER_DOUBT)
                .execution_options(synchronize_session=False)
            )
            logger.warning(
                "delivery %s was sent after it had been marked in doubt (%s)",
                row_id,
                "recorded as sent" if late.rowcount == 1 else "already recorded as sent",
            )
        else:
            # It did not arrive: failed, no longer in doubt; a --resend sends it again.
            session.execute(
                update(Delivery)
                .where(Delivery.id == row_id, Delivery.status == DeliveryStatus.IN_DOUBT)
                .values(status=DeliveryStatus.FAILED, error=(FAILED_AFTER_DOUBT + result.error)[:2000])
                .execution_options(synchronize_session=False)
            )
            logger.warning("delivery %s failed after it had been marked in doubt: %s", row_id, result.error)
            verdict = "failed"
        session.commit()
    return verdict


def deliver(
    database: Database,
    sender: Sender,
    ids: Sequence[int],
    *,
    now: datetime,
    concurrency: int = 32,
    max_attempts: int = 4,
) -> DeliveryCounts:
    """Send each of ``ids`` that is due and open, ``concurrency`` at a time; every row's outcome committed.

    One attempt per message per call: a message that fails stays ``pending`` (or ``failed`` once it
    has had ``max_attempts``); the caller retries the call after a pause. A message whose measure was
    reported done, closed or removed meanwhile is not sent: it is marked ``failed`` (``cancelled``).
    """
    counts = DeliveryCounts()
    items = _prepared(database, due_ids(database, now=now, max_attempts=max_attempts, ids=ids))

    def work(item: tuple[int, PreparedMessage | None, str]) -> str:
        row_id, message, cancelled = item
        if cancelled:
            return "cancelled" if _cancel(database, row_id, cancelled) else "skipped"
        if not _claim(database, row_id, now, max_attempts):
            return "skipped"
        if message is None:
            return _record(database, row_id, SendResult(False, "the contact or its URL was removed"), 0)
        try:
            result = sender.send(message)
        except Exception as exc:  # a broken sender must still leave an outcome
            result = SendResult(False, f"{type(exc).__name__}: {exc}")
        return _record(database, row_id, result, max_attempts)

    for verdict in fan_out(items, work, concurrency):
        setattr(counts, verdict, getattr(counts, verdict) + 1)
    return counts


def deliver_due(
    database: Database,
    sender: Sender,
    *,
    now: datetime,
    concurrency: int = 32,
    max_attempts: int = 4,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> DeliveryCounts:
    """Expire stuck claims, then one delivery pass over everything due at ``now``."""
    in_doubt = expire_in_doubt(database, lease_seconds=lease_seconds)
    ids = due_ids(database, now=now, max_attempts=max_attempts)
    counts = deliver(database, sender, ids, now=now, concurrency=concurrency, max_attempts=max_attempts)
    counts.in_doubt = in_doubt
    return counts


def open_among(database: Database, ids: Sequence[int], max_attempts: int) -> int:
    """How many of ``ids`` still wait for another attempt (pending after a failure)."""
    with database.unit_of_work() as session:
        total = 0
        for start in range(0, len(ids), 500):
            total += (
                session.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(
                        Delivery.id.in_(list(ids[start : start + 500])),
                        Delivery.status.in_(OPEN),
                        Delivery.attempts > 0,
                        Delivery.attempts < max_attempts,
                    )
                )
                or 0
            )
    return total


def status_counts(database: Database, ids: Sequence[int] | None = None) -> dict[str, int]:
    """Deliveries by status (among ``ids`` when given)."""
    with database.unit_of_work() as session:
        query = select(Delivery.status, func.count()).group_by(Delivery.status)
        counts: dict[str, int] = {}
        if ids is None:
            chunks: list[Sequence[int] | None] = [None]
        else:
            chunks = [ids[start : start + 500] for start in range(0, len(ids), 500)]
        for chunk in chunks:
            q = query if chunk is None else query.where(Delivery.id.in_(list(chunk)))
            for status, n in session.execute(q):
                counts[str(status.value)] = counts.get(str(status.value), 0) + n
    return counts
