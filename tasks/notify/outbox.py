"""The delivery log: plan messages from the ledger, record them once, deliver each key once.

Plain functions (tests call them without Prefect); the Prefect tasks wrapping them live in
``flows.notify``.

Exactly once, how:

- **Record.** Every planned message is inserted with its idempotency key under a unique constraint
  (``INSERT … ON CONFLICT DO NOTHING``): two sweeps, a flow retry or two overlapping runs record a key once.
  Escalation steps become ``StatusEvent`` rows the same way (their ``dedupe_key``).
- **Claim.** Before sending, a sender moves the row from ``pending``/``held`` to ``sending`` with one
  conditional ``UPDATE`` and commits; only the run whose update changed the row sends it.
- **Outcome.** Right after the send the row becomes ``sent``, or ``pending`` again (another attempt is
  due, the delivery task retries with backoff) or ``failed`` after ``max_attempts`` attempts.
- **In doubt.** A row left in ``sending`` longer than the lease belongs to a process that died during
  the send: the message may or may not have arrived. It is marked ``failed`` with the reason and is
  not resent automatically (at most once); ``zhenggai notifications --resend`` sends it again.
  A send that was only slow (its outcome arrives after the row was marked in doubt) still records
  the truth: ``sent``, with a note in ``error`` that it had been in doubt.
- **Cancelled.** A message whose measure was reported done, closed (销号) or removed before its turn
  (a held reminder, a retry) is not sent: it is marked ``failed`` with the reason.
  The window is one in-flight request per sending thread; every message carries its key in an
  ``X-Zhenggai-Key`` header where the channel allows, so a receiver can drop a repeat after a resend.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, Select, and_, case, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from models.db import Database
from models.enums import DeliveryStatus, EventKind, MeasureStatus, MessageKind
from models.errors import UnknownMeasure
from models.notifications import (
    LEVEL_LABEL,
    DigestLine,
    EscalationStep,
    MeasureFacts,
    PlannedMessage,
    Policy,
    Recipient,
    channel_of,
    mask_url,
    next_allowed,
    plan_digest,
    plan_measure,
)
from models.tables import (
    Contact,
    Delivery,
    Measure,
    Problem,
    Round,
    StatusEvent,
    Unit,
    measure_co_units,
    utcnow,
)
from models.workdays import WorkingCalendar
from tasks.ledger.queries import live_measures
from tasks.notify.render import render_message
from tasks.notify.sender import PreparedMessage, Sender, SendResult, fan_out

# A claim older than this belongs to a process that died mid-send (Apprise's HTTP timeouts are
# seconds, SMTP's 15 s): the message is then in doubt.
DEFAULT_LEASE_SECONDS = 120.0
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.HELD)
RESENT_PREFIX = "resent after: "
SENT_AFTER_DOUBT = (
    "sent: the send outlasted the lease and the message had been marked in doubt meanwhile; "
    "it did go out (a --resend would have been skipped)"
)
FAILED_AFTER_DOUBT = (
    "the send outlasted the lease (marked in doubt meanwhile) and then failed: it did not arrive. "
)

logger = logging.getLogger("zhenggai.notify")


# -- facts from the ledger ----------------------------------------------------------------------


def _recipient(contact: Contact | None) -> Recipient | None:
    if contact is None:
        return None
    return Recipient(
        contact.id, contact.code, contact.person, contact.role, tuple(contact.urls), contact.unit_id
    )


def _unit_recipients(unit: Unit | None) -> tuple[Recipient, ...]:
    if unit is None:
        return ()
    return tuple(r for c in unit.contacts if c.urls and (r := _recipient(c)) is not None)


def _missing_period(
    measure: Measure,
    last_report_at: datetime | None,
    moment: datetime,
    calendar: WorkingCalendar,
    timezone: str,
) -> tuple[datetime, datetime] | None:
    """The closed cadence period without a report at ``moment`` (aware local datetimes), if any."""
    if not measure.cadence:
        return None
    from models.cadence import cadence_schedule, due_period

    zone = ZoneInfo(timezone)
    since = measure.problem.round.feedback_date
    spec = cadence_schedule(measure.cadence, calendar, since)
    period = due_period(spec, moment.astimezone(zone).replace(tzinfo=None), since)
    if period is None:
        return None
    start, end = (p.replace(tzinfo=zone) for p in period)
    if last_report_at is not None and last_report_at >= start:
        return None
    return start, end


def _measures(
    session: Session, *, round_code: str | None = None, measure_code: str | None = None
) -> list[Measure]:
    return live_measures(
        session,
        round_code=round_code,
        measure_code=measure_code,
        load=(
            selectinload(Measure.lead_unit).selectinload(Unit.contacts),
            selectinload(Measure.problem).selectinload(Problem.round).selectinload(Round.coordinator),
            selectinload(Measure.problem).selectinload(Problem.round).selectinload(Round.head),
        ),
    )


def measure_facts(
    session: Session, measures: Sequence[Measure], moment: datetime, calendar: WorkingCalendar, policy: Policy
) -> list[MeasureFacts]:
    """The planner's view of each measure at ``moment`` (aware)."""
    from tasks.ledger.queries import latest_reports

    latest = latest_reports(session, (m.id for m in measures), moment)
    out = []
    for m in measures:
        report = latest.get(m.id)
        missing = None
        if m.status not in (MeasureStatus.DONE, MeasureStatus.CLOSED):
            missing = _missing_period(
                m, report.submitted_at if report else None, moment, calendar, policy.timezone
            )
        round_ = m.problem.round
        out.append(
            MeasureFacts(
                measure_id=m.id,
                code=m.code,
                text=m.text,
                status=m.status,
                deadline=m.deadline,
                deadline_spec=m.deadline_spec,
                marker=m.marker,
                problem_ordinal=m.problem.ordinal,
                problem_title=m.problem.title,
                round_code=round_.code,
                lead_unit_id=m.lead_unit_id,
                lead_unit_name=m.lead_unit.name if m.lead_unit else None,
                co_unit_names=tuple(u.name for u in m.co_units),
                unit_contacts=_unit_recipients(m.lead_unit),
                leader=_recipient(m.leader),
                coordinator=_recipient(round_.coordinator),
                head=_recipient(round_.head),
                missing_period_start=missing[0] if missing else None,
                missing_period_end=missing[1] if missing else None,
                cadence=m.cadence,
            )
        )
    return out


# -- recording ----------------------------------------------------------------------------------


@dataclass
class PlanResult:
    """What a planning pass did: messages planned, newly recorded (others existed), held, steps reached."""

    planned: int = 0
    recorded: int = 0
    held: int = 0
    escalations: int = 0
    new_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "recorded": self.recorded,
            "held": self.held,
            "escalations": self.escalations,
        }


def _insert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def record_messages(
    session: Session,
    messages: Iterable[PlannedMessage],
    escalations: Iterable[EscalationStep] = (),
    *,
    now: datetime,
    actor: str = "notify",
    flow_run_id: str | None = None,
) -> PlanResult:
    """Render and insert each message whose key is new, and the escalation steps; the caller commits."""
    insert = _insert(session)
    result = PlanResult()
    rows = []
    for message in messages:
        title, body = render_message(message)
        held = message.due_at > now
        result.planned += 1
        rows.append(
            {
                "key": message.key,
                "kind": message.kind.value,
                "measure_id": message.measure_id,
                "unit_id": message.unit_id,
                "contact_id": message.recipient.contact_id,
                "url_index": message.url_index,
                "recipient_masked": mask_url(message.url)[:300],
                "channel": channel_of(message.url)[:40],
                "title": title,
                "body": body,
                "status": (DeliveryStatus.HELD if held else DeliveryStatus.PENDING).value,
                "attempts": 0,
                "error": "",
                "due_at": message.due_at,
                "created_at": now,
            }
        )
    for start in range(0, len(rows), 500):
        statement = (
            insert(Delivery)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Delivery.id, Delivery.status)
        )
        # RETURNING lists only the rows actually inserted: keys recorded before are left alone.
        for row_id, status in session.execute(statement).all():
            result.new_ids.append(row_id)
            result.recorded += 1
            if status == DeliveryStatus.HELD:
                result.held += 1
    for step in escalations:
        values = {
            "measure_id": step.measure_id,
            "at": now,
            "actor": actor,
            "kind": EventKind.ESCALATION,
            "from_value": step.previous.value if step.previous else None,
            "to_value": step.level.value,
            "reason": (
                f"逾期{step.overdue_workdays}个工作日（完成时限{step.deadline.isoformat()}），"
                f"{LEVEL_LABEL[step.level]}：{step.target}"
            ),
            "flow_run_id": flow_run_id,
            "dedupe_key": step.dedupe_key,
        }
        outcome: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            insert(StatusEvent).values(values).on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        result.escalations += outcome.rowcount or 0
    return result


def plan_and_record(
    database: Database,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    policy: Policy,
    round_code: str | None = None,
    measure_code: str | None = None,
    actor: str = "sweep",
    flow_run_id: str | None = None,
) -> PlanResult:
    """Plan every live measure's messages at ``now`` (or one measure's) and record the new ones."""
    with database.unit_of_work() as session:
        measures = _measures(session, round_code=round_code, measure_code=measure_code)
        if measure_code is not None and not measures:
            raise UnknownMeasure(f"no measure '{measure_code}'")
        moment = next_allowed(now, calendar, policy)
        messages: list[PlannedMessage] = []
        steps: list[EscalationStep] = []
        for facts in measure_facts(session, measures, moment, calendar, policy):
            plan = plan_measure(facts, now, calendar, policy)
            messages += plan.messages
            steps += plan.escalations
        result = record_messages(session, messages, steps, now=now, actor=actor, flow_run_id=flow_run_id)
        session.commit()
    return result


def plan_digests(
    database: Database,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    policy: Policy,
    due_soon_workdays: int = 5,
    round_code: str | None = None,
) -> PlanResult:
    """Record this week's digest for every unit that leads or co-owns a live measure."""
    from models.rules import STATE_LABEL
    from tasks.ledger.queries import measure_overview

    moment = next_allowed(now, calendar, policy)
    day = moment.astimezone(ZoneInfo(policy.timezone)).date()
    with database.unit_of_work() as session:
        rows = measure_overview(
            session,
            today=day,
            calendar=calendar,
            timezone=policy.timezone,
            due_soon_workdays=due_soon_workdays,
            round_code=round_code,
        )
        by_code = {row.code: row for row in rows}
        co_owned: dict[int, list[str]] = {}
        id_to_code: dict[int, str] = {
            measure_id: code
            for code, measure_id in session.execute(
                select(Measure.code, Measure.id).where(Measure.code.in_(list(by_code)))
            )
        }
        for measure_id, unit_id in session.execute(
            select(measure_co_units.c.measure_id, measure_co_units.c.unit_id).where(
                measure_co_units.c.measure_id.in_(list(id_to_code))
            )
        ):
            co_owned.setdefault(unit_id, []).append(id_to_code[measure_id])
        units = session.scalars(select(Unit).options(selectinload(Unit.contacts)).order_by(Unit.code)).all()
        messages: list[PlannedMessage] = []
        for unit in units:
            lines = []
            for row in rows:
                if row.lead_unit_code == unit.code:
                    role = "牵头"
                elif row.code in co_owned.get(unit.id, []):
                    role = "配合"
                else:
                    continue
                lines.append(
                    DigestLine(
                        code=row.code,
                        text=f"{row.marker}{row.text}",
                        role=role,
                        deadline_spec=row.deadline.isoformat() if row.deadline else row.deadline_spec,
                        state_label=STATE_LABEL[row.state],
                        light=row.light.value,
                        workdays_left=row.assessment.workdays_left,
                        last_report_at=row.last_report_at,
                    )
                )
            messages += plan_digest(
                unit.code, unit.id, unit.name, _unit_recipients(unit), lines, now, calendar, policy
            )
        result = record_messages(session, messages, now=now, actor="digest")
        session.commit()
    return result


# -- delivering ---------------------------------------------------------------------------------


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
    """Mark rows stuck in ``sending`` past the lease as failed (in doubt); return how many."""
    cutoff = utcnow() - timedelta(seconds=lease_seconds)
    with database.unit_of_work() as session:
        outcome: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Delivery)
            .where(Delivery.status == DeliveryStatus.SENDING, Delivery.last_attempt_at < cutoff)
            .values(
                status=DeliveryStatus.FAILED,
                error=(
                    "in doubt: the sending process stopped during the send; the message may have arrived. "
                    "Not resent automatically: check with the recipient, then `zhenggai notifications --resend`."
                ),
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
    if kind == MessageKind.DIGEST:
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
                )
                .outerjoin(Contact, Contact.id == Delivery.contact_id)
                .outerjoin(Measure, Measure.id == Delivery.measure_id)
                .outerjoin(Problem, Problem.id == Measure.problem_id)
                .where(Delivery.id.in_(list(ids[start : start + 500])))
                .order_by(Delivery.due_at, Delivery.id)
            ).all()
            for row_id, key, title, body, index, urls, kind, measure_id, status, removed in rows:
                url = urls[index] if urls and 0 <= index < len(urls) else None
                reason = _cancel_reason(kind, measure_id, status, bool(removed))
                out.append((row_id, PreparedMessage(key, url, title, body) if url else None, reason))
    return out


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
    lease and ``expire_in_doubt`` marked it failed meanwhile: the outcome is then recorded anyway (a
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
            # It did not arrive: say so instead of "may have arrived"; a --resend sends it again.
            session.execute(
                update(Delivery)
                .where(Delivery.id == row_id, Delivery.status == DeliveryStatus.FAILED)
                .values(error=(FAILED_AFTER_DOUBT + result.error)[:2000])
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


# -- the log, for people ------------------------------------------------------------------------


def _log_filters(
    session: Session,
    query: Select[Any],
    *,
    unit_code: str | None,
    status: str | None,
    day: date | None,
    kind: str | None,
    measure_code: str | None,
    timezone: str,
) -> Select[Any]:
    """``query`` (over Delivery, outer-joined to Measure and Unit) narrowed by the log's filters."""
    from models.errors import UnknownUnit

    if unit_code is not None:
        if session.scalar(select(Unit.id).where(Unit.code == unit_code)) is None:
            raise UnknownUnit(f"no unit '{unit_code}'")
        query = query.where(Unit.code == unit_code)
    if status is not None:
        query = query.where(Delivery.status == DeliveryStatus(status))
    if kind is not None:
        query = query.where(Delivery.kind == kind)
    if measure_code is not None:
        query = query.where(Measure.code == measure_code)
    if day is not None:
        start = datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone)).astimezone(UTC)
        end = start + timedelta(days=1)  # exclusive: the next day's midnight is the next day's
        query = query.where(
            or_(
                and_(Delivery.due_at >= start, Delivery.due_at < end),
                and_(Delivery.sent_at >= start, Delivery.sent_at < end),
                and_(Delivery.last_attempt_at >= start, Delivery.last_attempt_at < end),
            )
        )
    return query


def list_deliveries(
    session: Session,
    *,
    timezone: str,
    unit_code: str | None = None,
    status: str | None = None,
    day: date | None = None,
    kind: str | None = None,
    measure_code: str | None = None,
    limit: int = 200,
) -> list[tuple[Delivery, str | None, str | None]]:
    """Log rows (newest first) with their measure code and unit code; ``day`` (local in ``timezone``,
    ``Settings.timezone``) matches the due, sent or last-attempt day."""
    query = (
        select(Delivery, Measure.code, Unit.code)
        .outerjoin(Measure, Measure.id == Delivery.measure_id)
        .outerjoin(Unit, Unit.id == Delivery.unit_id)
        .order_by(Delivery.due_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    query = _log_filters(
        session,
        query,
        unit_code=unit_code,
        status=status,
        day=day,
        kind=kind,
        measure_code=measure_code,
        timezone=timezone,
    )
    return [(row[0], row[1], row[2]) for row in session.execute(query).all()]


def resend(
    session: Session,
    *,
    timezone: str,
    now: datetime,
    ids: Sequence[int] | None = None,
    unit_code: str | None = None,
    day: date | None = None,
) -> list[int]:
    """Put failed deliveries back to ``pending`` (attempts reset, earlier error kept after one
    ``resent after:`` prefix); return their ids, newest first. The caller commits.

    ``ids``, ``unit_code`` and ``day`` (local in ``timezone``) narrow the choice in SQL.
    """
    query = (
        select(Delivery.id, Delivery.due_at)
        .outerjoin(Measure, Measure.id == Delivery.measure_id)
        .outerjoin(Unit, Unit.id == Delivery.unit_id)
        .order_by(Delivery.due_at.desc(), Delivery.id.desc())
    )
    query = _log_filters(
        session,
        query,
        unit_code=unit_code,
        status=DeliveryStatus.FAILED.value,
        day=day,
        kind=None,
        measure_code=None,
        timezone=timezone,
    )
    if ids is None:
        chosen = [row_id for row_id, _ in session.execute(query)]
    else:
        wanted = sorted(set(ids))
        rows: list[tuple[int, datetime]] = []
        for start in range(0, len(wanted), 500):
            rows += [
                (row_id, due_at)
                for row_id, due_at in session.execute(
                    query.where(Delivery.id.in_(wanted[start : start + 500]))
                )
            ]
        chosen = [row_id for row_id, _ in sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)]
    error = case(
        (Delivery.error.startswith(RESENT_PREFIX, autoescape=True), Delivery.error),
        else_=RESENT_PREFIX + Delivery.error,
    )
    for start in range(0, len(chosen), 500):
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(chosen[start : start + 500]), Delivery.status == DeliveryStatus.FAILED)
            .values(status=DeliveryStatus.PENDING, error=error, attempts=0)
            .execution_options(synchronize_session=False)
        )
    return chosen
