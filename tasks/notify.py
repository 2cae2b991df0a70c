"""The delivery log: plan messages from the ledger, record them once, deliver each key once.

Plain functions (tests call them without Prefect); the Prefect tasks wrapping them live in
``tasks.notify_tasks``.

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
  The window is one in-flight request per sending thread; every message carries its key in an
  ``X-Zhenggai-Key`` header where the channel allows, so a receiver can drop a repeat after a resend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, Select, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from models.db import Database
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
    DeliveryStatus,
    Measure,
    MeasureStatus,
    Problem,
    Round,
    StatusEvent,
    Unit,
    measure_co_units,
    utcnow,
)
from models.workdays import WorkingCalendar
from tasks.notify_delivery import PreparedMessage, Sender, SendResult, fan_out
from tasks.notify_render import render_message
from tasks.queries import live_measures

# A claim older than this belongs to a process that died mid-send (Apprise's HTTP timeouts are
# seconds, SMTP's 15 s): the message is then in doubt.
DEFAULT_LEASE_SECONDS = 120.0
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.HELD)


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
    from tasks.queries import latest_reports

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
            "kind": "escalation",
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
    from models.cadence import report_missing_rule
    from models.rules import STATE_LABEL
    from tasks.queries import measure_overview

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
            report_missing=report_missing_rule(calendar, policy.timezone),
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

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "retry": self.retry,
            "skipped": self.skipped,
            "in_doubt": self.in_doubt,
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


def _prepared(database: Database, ids: Sequence[int]) -> list[tuple[int, PreparedMessage | None]]:
    """Each row with its message (the URL read from the contact now), or None when it has no URL any more."""
    out: list[tuple[int, PreparedMessage | None]] = []
    with database.unit_of_work() as session:
        for start in range(0, len(ids), 500):
            rows = session.execute(
                select(
                    Delivery.id, Delivery.key, Delivery.title, Delivery.body, Delivery.url_index, Contact.urls
                )
                .outerjoin(Contact, Contact.id == Delivery.contact_id)
                .where(Delivery.id.in_(list(ids[start : start + 500])))
                .order_by(Delivery.due_at, Delivery.id)
            ).all()
            for row_id, key, title, body, index, urls in rows:
                url = urls[index] if urls and 0 <= index < len(urls) else None
                out.append((row_id, PreparedMessage(key, url, title, body) if url else None))
    return out


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
    """Write a send's outcome; return 'sent', 'retry' or 'failed'."""
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
        session.execute(
            update(Delivery)
            .where(Delivery.id == row_id, Delivery.status == DeliveryStatus.SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
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
    has had ``max_attempts``); the caller retries the call after a pause.
    """
    counts = DeliveryCounts()
    items = _prepared(database, due_ids(database, now=now, max_attempts=max_attempts, ids=ids))

    def work(item: tuple[int, PreparedMessage | None]) -> str:
        row_id, message = item
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


def list_deliveries(
    session: Session,
    *,
    unit_code: str | None = None,
    status: str | None = None,
    day: date | None = None,
    kind: str | None = None,
    measure_code: str | None = None,
    timezone: str = "Asia/Shanghai",
    limit: int = 200,
) -> list[tuple[Delivery, str | None, str | None]]:
    """Log rows (newest first) with their measure code and unit code; ``day`` matches due or sent day."""
    from models.errors import UnknownUnit

    query = (
        select(Delivery, Measure.code, Unit.code)
        .outerjoin(Measure, Measure.id == Delivery.measure_id)
        .outerjoin(Unit, Unit.id == Delivery.unit_id)
        .order_by(Delivery.due_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
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
        zone = ZoneInfo(timezone)
        start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
        end = start + timedelta(days=1)
        query = query.where(
            or_(
                Delivery.due_at.between(start, end),
                Delivery.sent_at.between(start, end),
                Delivery.last_attempt_at.between(start, end),
            )
        )
    return [(row[0], row[1], row[2]) for row in session.execute(query).all()]


def resend(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    unit_code: str | None = None,
    day: date | None = None,
    timezone: str = "Asia/Shanghai",
    now: datetime,
) -> list[int]:
    """Put failed deliveries back to ``pending`` (attempts reset, earlier error kept); the caller commits."""
    rows = list_deliveries(
        session, unit_code=unit_code, status="failed", day=day, timezone=timezone, limit=100_000
    )
    chosen = [row[0].id for row in rows if ids is None or row[0].id in set(ids)]
    for start in range(0, len(chosen), 500):
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(chosen[start : start + 500]), Delivery.status == DeliveryStatus.FAILED)
            .values(
                status=DeliveryStatus.PENDING,
                error="resent after: " + Delivery.error,
                attempts=0,
            )
            .execution_options(synchronize_session=False)
        )
    return chosen
