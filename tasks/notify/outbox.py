"""The delivery outbox: claim due messages in chunks, send each once, record the outcomes in batches.

Plain functions (tests call them without Prefect); the Prefect tasks wrapping them live in
``flows.notify``. The outbox is the one place that commits inside a function: every chunk's claim and
every batch of outcomes is its own transaction, so that a process dying mid-pass leaves each message's
truth behind. Messages claimed and not yet recorded never outnumber the fan-out's concurrency, so after
a crash at most ``concurrency`` messages are in doubt, as when each message had its own transactions.

Exactly once, how (messages were recorded once by key, see ``tasks.notify.planner``):

- **Claim.** Before sending, a sender moves a chunk of rows from ``pending``/``held``/``queued`` to
  ``sending`` with one conditional ``UPDATE … RETURNING id`` and commits; only the run whose update
  changed a row sends it.
- **Rate limits.** In the same transaction, each message to a limited endpoint takes a slot of the
  endpoint's window (``models.rate_limits``), under the endpoint's row lock (``endpoint_windows``,
  ``SELECT … FOR UPDATE`` on PostgreSQL, the write lock on SQLite): every sender shares it. A message
  over the limit is not claimed but ``queued``, due when a slot frees (at the next allowed moment
  when that falls in quiet hours); it is never dropped.
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
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Select, bindparam, case, func, literal, or_, select, update
from sqlalchemy.orm import Session

from models.db import Database
from models.enums import DeliveryStatus, MeasureStatus, MessageKind, ReportStatus
from models.errors import UnresolvedUrl
from models.links import SIGN_IN_PATH, unmask_links
from models.notifications import message_member
from models.rate_limits import endpoint_key, limit_for, take_slot
from models.settings import get_settings
from models.tables import (
    Contact,
    Delivery,
    EndpointWindow,
    Measure,
    Problem,
    utcnow,
)
from models.urls import channel_of, is_url_reference
from tasks.ledger.history import insert_for
from tasks.ledger.keys import signing_key
from tasks.notify.sender import PreparedMessage, Sender, SendResult, resolve_url

# A claim older than this belongs to a process that died mid-send (Apprise's HTTP timeouts are
# seconds, SMTP's 15 s): the message is then in doubt.
DEFAULT_LEASE_SECONDS = 120.0
# A fan-out whose sends have all been slow this long records what finished and claims what is free.
STALL_SECONDS = 0.05
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.HELD, DeliveryStatus.QUEUED)
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
    queued: int = 0  # over its endpoint's rate limit: waits its turn (status queued)

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "retry": self.retry,
            "skipped": self.skipped,
            "in_doubt": self.in_doubt,
            "cancelled": self.cancelled,
            "queued": self.queued,
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
        MessageKind.DAILY_DIGEST,
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


@dataclass(frozen=True)
class _Item:
    """A due row as the pass sends it: its message (None: the contact or its URL is gone), why it is
    cancelled ('' when it is not), and its endpoint's key and limit when the endpoint is limited."""

    row_id: int
    message: PreparedMessage | None
    cancelled: str = ""
    endpoint: str | None = None
    per_minute: int | None = None


def _prepared(
    database: Database, ids: Sequence[int], limits: Mapping[str, int], resolve: Callable[[str], str]
) -> list[_Item]:
    """Each row with its message (the URL read from the contact now; None when it has no URL any more),
    why it is cancelled ('' when it is not): its measure was reported done, closed or removed, and the
    rate limit of the endpoint it goes to (its contact's own, else its scheme's in ``limits``; an
    ``env:``/``secret:`` reference is resolved now for its scheme and endpoint, see ``_endpoint``)."""
    out: list[_Item] = []
    targets: dict[str, str] = {}  # a reference → what it reaches, resolved once a pass
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
                    Contact.rate_limit,
                )
                .outerjoin(Contact, Contact.id == Delivery.contact_id)
                .outerjoin(Measure, Measure.id == Delivery.measure_id)
                .outerjoin(Problem, Problem.id == Measure.problem_id)
                .where(Delivery.id.in_(list(ids[start : start + 500])))
                .order_by(Delivery.due_at, Delivery.id)
            ).all()
            done = _members_done(session, rows)
            for row in rows:
                row_id, key, title, body, index, urls, kind, measure_id, status, removed, unit_id, own = row
                url = urls[index] if urls and 0 <= index < len(urls) else None
                reason = _cancel_reason(kind, measure_id, status, bool(removed))
                if SIGN_IN_PATH in body:  # the log keeps links masked: sign them again to send
                    signing = signing or signing_key(session, now=utcnow())
                    body = unmask_links(body, signing, utcnow() + get_settings().link_ttl)
                if not reason and (measure_id, unit_id) in done and message_member(key):
                    reason = "member reported done before sending"
                target = _endpoint(url, resolve, targets) if url else None
                per_minute = limit_for(channel_of(target), own, limits) if target else None
                out.append(
                    _Item(
                        row_id,
                        PreparedMessage(key, url, title, body) if url else None,
                        reason,
                        endpoint_key(target) if target and per_minute else None,
                        per_minute,
                    )
                )
        session.commit()  # a signing key created here is kept
    return out


def _endpoint(url: str, resolve: Callable[[str], str], targets: dict[str, str]) -> str:
    """What a contact's URL reaches, for its rate limit: an ``env:``/``secret:`` reference resolved (its
    scheme's default applies, and it shares one window with the same URL written out or referenced by
    another contact); the reference itself when it does not resolve now (its send fails and says why)."""
    if not is_url_reference(url):
        return url
    if url not in targets:
        try:
            targets[url] = resolve(url)
        except UnresolvedUrl:
            targets[url] = url
    return targets[url]


def resolver_of(sender: Sender) -> Callable[[str], str]:
    """How a pass resolves a reference at claim: the sender's own way when it has one (``AppriseSender.resolve``,
    its Secret blocks cached), else ``resolve_url``."""
    own = getattr(sender, "resolve", None)
    return own if callable(own) else resolve_url


def _members_done(session: Session, rows: Sequence[Any]) -> set[tuple[int, int]]:
    """The (measure, member) pairs among rows about one member's share whose member has reported done."""
    shares = {(row.measure_id, row.unit_id) for row in rows if row.unit_id and message_member(row.key)}
    if not shares:
        return set()
    from tasks.ledger.collectives import latest_member_claims

    claims = latest_member_claims(session, {m for m, _ in shares}, {u for _, u in shares})
    return {pair for pair in shares if pair in claims and claims[pair][1] == ReportStatus.DONE}


def _cancel(database: Database, row_ids: Sequence[int], reasons: Mapping[int, str]) -> int:
    """Mark open rows failed with their reason instead of sending them, in one transaction; return how
    many (the others were taken by another run meanwhile)."""
    cancelled = 0
    with database.unit_of_work() as session:
        for row_id in row_ids:
            outcome: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(Delivery)
                .where(Delivery.id == row_id, Delivery.status.in_(OPEN))
                .values(status=DeliveryStatus.FAILED, error=reasons[row_id])
                .execution_options(synchronize_session=False)
            )
            cancelled += int(outcome.rowcount == 1)
        session.commit()
    return cancelled


def _windows(session: Session, endpoints: Sequence[str]) -> dict[str, list[datetime]]:
    """The recent send moments of ``endpoints``, their rows locked until the caller commits.

    The rows are made first (an insert that ignores the rows another sender made, which on SQLite also
    takes the write lock before anything is read); on PostgreSQL ``FOR UPDATE`` locks them in key order,
    so two senders never wait on each other crosswise.
    """
    now = utcnow()
    session.execute(
        insert_for(session)(EndpointWindow)
        .values([{"endpoint": e, "sent_at": [], "updated_at": now} for e in endpoints])
        .on_conflict_do_nothing(index_elements=["endpoint"])
    )
    rows = session.execute(
        select(EndpointWindow.endpoint, EndpointWindow.sent_at)
        .where(EndpointWindow.endpoint.in_(list(endpoints)))
        .order_by(EndpointWindow.endpoint)
        .with_for_update()
    ).all()
    return {endpoint: [datetime.fromisoformat(m) for m in sent or []] for endpoint, sent in rows}


def _claim_chunk(
    database: Database,
    chunk: Sequence[_Item],
    now: datetime,
    max_attempts: int,
    allowed_from: Callable[[datetime], datetime] | None,
    moment: datetime,
    outcomes: Sequence[tuple[int, SendResult]] = (),
    restamps: Sequence[tuple[str, datetime]] = (),
) -> tuple[list[_Item], int, list[str]]:
    """Claim a chunk in one transaction: the rows this run may send now (returned) and, for a limited
    endpoint whose window is full, ``queued`` rows due when a slot frees (their count returned).
    ``now`` judges what is due; ``moment`` (the pass's now moved on by the time it has run) is the
    send moment a slot records. The ``outcomes`` of finished sends are recorded in the same
    transaction (their verdicts returned): one commit frees their threads and fills them again; the
    slots of those sends are ``restamps``ed to ``moment`` (see ``_restamp``). The endpoints' rows are
    locked first, before any delivery row, so that two senders never wait on each other crosswise."""
    with database.unit_of_work() as session:
        limited = sorted({item.endpoint for item in chunk if item.endpoint} | {e for e, _ in restamps})
        windows = _windows(session, limited) if limited else {}
        _restamp(windows, restamps, moment)
        verdicts = _record_in(session, outcomes, max_attempts)
        go: list[_Item] = []
        waiting: list[dict[str, Any]] = []
        for item in chunk:
            if item.endpoint is None or item.per_minute is None:
                go.append(item)
                continue
            slot = take_slot(windows[item.endpoint], item.per_minute, moment)
            if slot.allowed:
                windows[item.endpoint] = list(slot.window)
                go.append(item)
            else:
                until = allowed_from(slot.next_at) if allowed_from else slot.next_at
                waiting.append({"row": item.row_id, "until": until.astimezone(UTC)})
        claimed: set[int] = set()
        if go:
            claimed = set(
                session.scalars(
                    update(Delivery)
                    .where(
                        Delivery.id.in_([item.row_id for item in go]),
                        Delivery.status.in_(OPEN),
                        Delivery.due_at <= now,
                        Delivery.attempts < max_attempts,
                    )
                    .values(
                        status=DeliveryStatus.SENDING,
                        attempts=Delivery.attempts + 1,
                        last_attempt_at=utcnow(),
                    )
                    .returning(Delivery.id)
                    .execution_options(synchronize_session=False)
                )
            )
        for item in go:  # a slot taken for a row another run claimed meanwhile is given back
            if item.endpoint and item.row_id not in claimed:
                windows[item.endpoint].remove(moment)
        if waiting:  # executemany in Core (the ORM's bulk form wants primary keys by name)
            session.connection().execute(
                update(Delivery.__table__)  # type: ignore[arg-type]
                .where(Delivery.id == bindparam("row"), or_(*(Delivery.status == s for s in OPEN)))
                .values(status=DeliveryStatus.QUEUED, due_at=bindparam("until")),
                waiting,
            )
        _write_windows(session, windows)
        session.commit()
    return [item for item in go if item.row_id in claimed], len(waiting), verdicts


def _restamp(
    windows: dict[str, list[datetime]], restamps: Sequence[tuple[str, datetime]], moment: datetime
) -> None:
    """Move finished sends' slots from their claim's moment to ``moment`` (after they arrived): the
    window then counts from when the endpoint saw them, however long a busy machine took to send."""
    for endpoint, claimed_at in restamps:
        window = windows.get(endpoint)
        if window is not None and claimed_at in window:
            window[window.index(claimed_at)] = max(claimed_at, moment)


def _write_windows(session: Session, windows: dict[str, list[datetime]]) -> None:
    if windows:
        stamp = utcnow()
        session.execute(
            update(EndpointWindow),
            [
                {
                    "endpoint": endpoint,
                    "sent_at": [m.astimezone(UTC).isoformat() for m in sorted(moments)],
                    "updated_at": stamp,
                }
                for endpoint, moments in windows.items()
            ],
        )


def _record(
    database: Database,
    outcomes: Sequence[tuple[int, SendResult]],
    max_attempts: int,
    restamps: Sequence[tuple[str, datetime]] = (),
    moment: datetime | None = None,
) -> list[str]:
    """Write a batch of sends' outcomes in one transaction (their slots restamped to ``moment``); return
    'sent', 'retry' or 'failed' for each."""
    with database.unit_of_work() as session:
        endpoints = sorted({e for e, _ in restamps})
        windows = _windows(session, endpoints) if endpoints and moment else {}
        _restamp(windows, restamps, moment or utcnow())
        verdicts = _record_in(session, outcomes, max_attempts)
        _write_windows(session, windows)
        session.commit()
    return verdicts


def _record_in(session: Session, outcomes: Sequence[tuple[int, SendResult]], max_attempts: int) -> list[str]:
    """Write a batch of sends' outcomes (the caller commits); return 'sent', 'retry' or 'failed' for each.

    A row is normally still ``sending`` (this run's claim). When it is not, the send outlasted the
    lease and ``expire_in_doubt`` marked it in doubt meanwhile: the outcome is then recorded anyway (a
    message that went out is ``sent``, so a ``--resend`` skips it) with a note, and logged.
    """
    verdicts: dict[int, str] = {}
    if outcomes:
        sent = [row_id for row_id, result in outcomes if result.ok]
        if sent:
            for row_id in session.scalars(
                update(Delivery)
                .where(Delivery.id.in_(sent), Delivery.status == DeliveryStatus.SENDING)
                .values(status=DeliveryStatus.SENT, sent_at=utcnow(), error="")
                .returning(Delivery.id)
                .execution_options(synchronize_session=False)
            ):
                verdicts[row_id] = "sent"
        for row_id, result in outcomes:
            if result.ok:
                continue
            final = session.scalar(
                update(Delivery)
                .where(Delivery.id == row_id, Delivery.status == DeliveryStatus.SENDING)
                .values(
                    status=_failed_or_pending(max_attempts),
                    error=result.error[:2000],
                )
                .returning(Delivery.status)
                .execution_options(synchronize_session=False)
            )
            if final is not None:
                verdicts[row_id] = "failed" if final == DeliveryStatus.FAILED else "retry"
        for row_id, result in outcomes:
            if row_id not in verdicts:
                verdicts[row_id] = _record_late(session, row_id, result)
    return [verdicts[row_id] for row_id, _ in outcomes]


def _failed_or_pending(max_attempts: int) -> Any:
    """The status a failed attempt leaves: failed once the row has had ``max_attempts``, else pending."""
    return case(
        (Delivery.attempts >= max_attempts, literal(DeliveryStatus.FAILED.value)),
        else_=literal(DeliveryStatus.PENDING.value),
    )


def _record_late(session: Session, row_id: int, result: SendResult) -> str:
    """The outcome of a send whose row is no longer ``sending`` (it was marked in doubt meanwhile)."""
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
        return "sent"
    # It did not arrive: failed, no longer in doubt; a --resend sends it again.
    session.execute(
        update(Delivery)
        .where(Delivery.id == row_id, Delivery.status == DeliveryStatus.IN_DOUBT)
        .values(status=DeliveryStatus.FAILED, error=(FAILED_AFTER_DOUBT + result.error)[:2000])
        .execution_options(synchronize_session=False)
    )
    logger.warning("delivery %s failed after it had been marked in doubt: %s", row_id, result.error)
    return "failed"


def _send(sender: Sender, item: _Item) -> SendResult:
    if item.message is None:
        return SendResult(False, "the contact or its URL was removed")
    try:
        return sender.send(item.message)
    except Exception as exc:  # a broken sender must still leave an outcome
        return SendResult(False, f"{type(exc).__name__}: {exc}")


class _Finished:
    """Finished sends handed from the sending threads to the pass's thread, which wakes once ``wanted``
    of them have arrived (or after ``STALL_SECONDS``) instead of once per send: each wake-up is a thread
    switch and a turn of the GIL taken from the threads that are sending."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrived: list[tuple[int, SendResult]] = []
        self._wanted = 1
        self._ready = threading.Event()

    def put(self, outcome: tuple[int, SendResult]) -> None:
        with self._lock:
            self._arrived.append(outcome)
            if len(self._arrived) >= self._wanted:
                self._ready.set()

    def take(self, wanted: int, into: list[tuple[int, SendResult]]) -> int:
        """Wait until ``wanted`` sends have finished or ``STALL_SECONDS`` passed; add to ``into`` every
        send finished so far and return how many."""
        with self._lock:
            self._wanted = max(1, wanted)
            if len(self._arrived) >= self._wanted:
                self._ready.set()
        self._ready.wait(STALL_SECONDS)
        with self._lock:
            arrived, self._arrived = self._arrived, []
            self._ready.clear()
        into.extend(arrived)
        return len(arrived)


def deliver(
    database: Database,
    sender: Sender,
    ids: Sequence[int],
    *,
    now: datetime,
    concurrency: int = 32,
    max_attempts: int = 4,
    allowed_from: Callable[[datetime], datetime] | None = None,
    limits: Mapping[str, int] | None = None,
    claim_clock: Callable[[], datetime] | None = None,
) -> DeliveryCounts:
    """Send each of ``ids`` that is due and open, ``concurrency`` at a time; every outcome committed.

    Rows are claimed in chunks and their outcomes recorded in batches; the messages claimed and not
    yet recorded never number more than ``concurrency`` (the in-doubt bound after a crash). One attempt
    per message per call: a message that fails stays ``pending`` (or ``failed`` once it has had
    ``max_attempts``); the caller retries the call after a pause. A message whose measure was reported
    done, closed or removed meanwhile is not sent: it is marked ``failed`` (``cancelled``). A message
    over its endpoint's rate limit (``limits`` by scheme, default ``Settings.rate_limits``; a contact's
    own; an ``env:``/``secret:`` reference by the scheme it resolves to) is ``queued``, due when a slot
    frees; ``allowed_from`` moves that moment out of quiet hours.
    A slot records the moment of its claim: ``claim_clock()``, by default ``now`` moved on by the time
    the pass has run (a long pass must not stamp its late sends with its start).
    """
    counts = DeliveryCounts()
    began = time.monotonic()
    clock = claim_clock or (lambda: now + timedelta(seconds=time.monotonic() - began))
    concurrency = max(1, concurrency)
    scheme_limits = get_settings().rate_limits if limits is None else limits
    due = due_ids(database, now=now, max_attempts=max_attempts, ids=ids)
    items = _prepared(database, due, scheme_limits, resolver_of(sender))
    reasons = {item.row_id: item.cancelled for item in items if item.cancelled}
    if reasons:
        counts.cancelled = _cancel(database, list(reasons), reasons)
        counts.skipped += len(reasons) - counts.cancelled
    todo = deque(item for item in items if not item.cancelled)
    # Claim when half the slots are free (or all that is left fits): chunks stay large, sends overlap.
    # When no send has finished for STALL_SECONDS (slow or held endpoints), record and claim what is free.
    chunk_at = max(1, concurrency // 2)
    flush_at = max(1, concurrency // 4)
    in_flight = 0
    done = _Finished()
    finished: list[tuple[int, SendResult]] = []
    stalled = False

    stamps: dict[int, tuple[str, datetime]] = {}  # a limited send's endpoint and claim moment

    def tally(verdicts: list[str]) -> None:
        for verdict in verdicts:
            setattr(counts, verdict, getattr(counts, verdict) + 1)
        finished.clear()

    def restamps() -> list[tuple[str, datetime]]:
        return [stamps.pop(row_id) for row_id, _ in finished if row_id in stamps]

    def send(item: _Item) -> None:
        done.put((item.row_id, _send(sender, item)))

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="zhenggai-send") as pool:
        while todo or in_flight or finished:
            free = concurrency - in_flight  # the finished ones' threads too: recorded with the claim
            if todo and free > 0 and (free >= min(chunk_at, len(todo)) or stalled):
                chunk = [todo.popleft() for _ in range(min(free, len(todo)))]
                moment = clock()
                claimed, queued, verdicts = _claim_chunk(
                    database, chunk, now, max_attempts, allowed_from, moment, finished, restamps()
                )
                tally(verdicts)
                stamps.update({item.row_id: (item.endpoint, moment) for item in claimed if item.endpoint})
                counts.queued += queued
                counts.skipped += len(chunk) - len(claimed) - queued
                for item in claimed:
                    pool.submit(send, item)
                in_flight += len(claimed)
                stalled = False
                continue
            if in_flight:
                # Wake when enough threads are free for the next claim (or for a batch of outcomes).
                wanted = (min(chunk_at, len(todo)) - free) if todo else flush_at - len(finished)
                arrived = done.take(min(in_flight, max(1, wanted)), finished)
                in_flight -= arrived
                stalled = arrived == 0
            if finished and not todo and (len(finished) >= flush_at or not in_flight or stalled):
                tally(_record(database, finished, max_attempts, restamps(), clock()))
    return counts


def deliver_due(
    database: Database,
    sender: Sender,
    *,
    now: datetime,
    concurrency: int = 32,
    max_attempts: int = 4,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    allowed_from: Callable[[datetime], datetime] | None = None,
    limits: Mapping[str, int] | None = None,
    claim_clock: Callable[[], datetime] | None = None,
) -> DeliveryCounts:
    """Expire stuck claims, then one delivery pass over everything due at ``now``."""
    in_doubt = expire_in_doubt(database, lease_seconds=lease_seconds)
    ids = due_ids(database, now=now, max_attempts=max_attempts)
    counts = deliver(
        database,
        sender,
        ids,
        now=now,
        concurrency=concurrency,
        max_attempts=max_attempts,
        allowed_from=allowed_from,
        limits=limits,
        claim_clock=claim_clock,
    )
    counts.in_doubt = in_doubt
    return counts


def next_queued(database: Database, ids: Sequence[int]) -> datetime | None:
    """When the first of ``ids`` waiting for its endpoint's slot (``queued``) is due; None: none waits."""
    earliest: datetime | None = None
    with database.unit_of_work() as session:
        for start in range(0, len(ids), 500):
            found = session.scalar(
                select(func.min(Delivery.due_at)).where(
                    Delivery.id.in_(list(ids[start : start + 500])), Delivery.status == DeliveryStatus.QUEUED
                )
            )
            if found is not None and (earliest is None or found < earliest):
                earliest = found
    return earliest


def open_among(database: Database, ids: Sequence[int], max_attempts: int) -> int:
    """How many of ``ids`` still wait for another attempt (pending after a failure; a queued message
    waits for its endpoint's slot, not for a retry)."""
    with database.unit_of_work() as session:
        total = 0
        for start in range(0, len(ids), 500):
            total += (
                session.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(
                        Delivery.id.in_(list(ids[start : start + 500])),
                        Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.HELD)),
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
