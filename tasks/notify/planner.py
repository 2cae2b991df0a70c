"""Planning from the ledger: each live measure's messages and escalation steps, recorded once by key.

Every planned message is inserted with its idempotency key under a unique constraint (``INSERT … ON
CONFLICT DO NOTHING``): two sweeps, a flow retry or two overlapping runs record a key once. Escalation
steps become ``StatusEvent`` rows the same way (their ``dedupe_key``). Sending is the outbox's
(``tasks.notify.outbox``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, select
from sqlalchemy.orm import Session, selectinload

from models.db import Database
from models.enums import DeliveryStatus, EventKind
from models.errors import UnknownMeasure
from models.notifications import (
    LEVEL_LABEL,
    DigestLine,
    EscalationStep,
    MeasureFacts,
    PlannedMessage,
    Policy,
    Recipient,
    next_allowed,
    plan_digest,
    plan_measure,
)
from models.periods import missing_period
from models.rules import is_finished
from models.tables import (
    Contact,
    Delivery,
    Measure,
    Problem,
    Round,
    StatusEvent,
    Unit,
    measure_co_units,
)
from models.urls import channel_of, mask_url
from models.workdays import WorkingCalendar
from tasks.ledger.queries import latest_reports, live_measures
from tasks.notify.render import render_message


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
    latest = latest_reports(session, measure_ids=(m.id for m in measures), as_of=moment)
    out = []
    for m in measures:
        report = latest.get(m.id)
        missing = None
        if not is_finished(m.status):
            missing = missing_period(
                m.cadence,
                since=m.problem.round.feedback_date,
                last_report_at=report.submitted_at if report else None,
                as_of=moment,
                calendar=calendar,
                timezone=policy.timezone,
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
