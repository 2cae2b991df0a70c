"""A 督办单 without a reply by its deadline moves the ladder on, on real SQLite and PostgreSQL: the next step is
recorded once with its own sheet and messages; a reply (written or a report) stops it; the ladder reaching
the same step by days overdue later records nothing twice."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from models.clock import Clock
from models.db import Database
from models.duban import sheet_text
from models.enums import TokenRole
from models.notifications import Policy
from models.tables import Delivery, StatusEvent, Unit
from tasks.ledger.duban import list_sheets
from tasks.notify.duban_ladder import plan_unanswered_sheets
from tasks.notify.planner import plan_messages
from tasks.reports.duban import reply_to_sheet
from tasks.reports.tokens import Principal
from tests.integration.test_duban import CAL, TIMEZONE, at, ledger
from tests.support.work import committed

# The ladder's own 黄色 comes late here, so the unanswered 蓝色督办单 (reply by 1月11日) is what moves it.
POLICY = Policy(escalate_coordinator_after=20, escalate_head_after=40)


def sweep(database: Database, day: date) -> int:
    """A day's planning as the sweep does it: the ladder, then the unanswered sheets; the steps moved on."""
    moment = Clock(CAL, TIMEZONE, at(day))
    committed(database, plan_messages, moment, POLICY)
    return committed(database, plan_unanswered_sheets, moment, POLICY).escalations


def steps(database: Database) -> list[str]:
    with database.unit_of_work() as session:
        query = (
            select(StatusEvent.dedupe_key).where(StatusEvent.kind == "escalation").order_by(StatusEvent.id)
        )
        return [key for key in session.scalars(query) if key]


def unit_principal(database: Database) -> Principal:
    """The first unit's principal, through a token issued to it."""
    from datetime import timedelta

    from models.tables import utcnow
    from tasks.reports.tokens import issue_token

    now = utcnow()
    with database.unit_of_work() as session:
        issued = issue_token(
            session,
            role=TokenRole.UNIT,
            unit_code="unit-000",
            label="联络员",
            now=now,
            expires_at=now + timedelta(days=9),
        )
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "unit-000"))
        session.commit()
    return Principal(issued.token_id, TokenRole.UNIT, "联络员", unit_id=unit_id, unit_code="unit-000")


def test_an_unanswered_sheet_moves_the_ladder_on_once(database: Database) -> None:
    ledger(database)
    assert sweep(database, date(2024, 1, 4)) == 0  # 蓝色督办: sheet 1, reply by 1月11日
    assert sweep(database, date(2024, 1, 11)) == 0  # the reply deadline's own day
    assert sweep(database, date(2024, 1, 12)) == 1
    assert sweep(database, date(2024, 1, 12)) == 0  # a rerun records nothing
    assert steps(database)[-1] == "escalation|M-000|2023-12-29|yellow"
    with database.unit_of_work() as session:
        sheets = list_sheets(session)
        moved = {
            d.key: d.body
            for d in session.scalars(select(Delivery).where(Delivery.key.like("%2023-12-29/yellow")))
        }
    assert [(s.number, s.level, s.issued_on, s.reply_by) for s in sheets] == [
        ("督办〔2024〕1号", "blue", date(2024, 1, 4), date(2024, 1, 11)),
        ("督办〔2024〕2号", "yellow", date(2024, 1, 12), date(2024, 1, 19)),
    ]
    assert sorted(moved) == [
        "M-000|escalation|duban-office#0|2023-12-29/yellow",
        "M-000|escalation|liaison-000#0|2023-12-29/yellow",
    ]
    assert all("督办单督办〔2024〕1号" in b and "督办单：督办〔2024〕2号" in b for b in moved.values())
    # The yellow sheet unanswered moves on to red; the ladder's own 黄色 (20 days) then records nothing twice.
    assert sweep(database, date(2024, 1, 22)) == 1
    for day in (date(2024, 1, 26), date(2024, 1, 29)):
        sweep(database, day)
    assert steps(database) == [
        "escalation|M-000|2023-12-29|unit",
        "escalation|M-000|2023-12-29|blue",
        "escalation|M-000|2023-12-29|yellow",
        "escalation|M-000|2023-12-29|red",
    ]
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(StatusEvent)) == 4


def test_a_reply_stops_the_ladder_moving_on(database: Database, cli: Any) -> None:
    from models.tables import utcnow

    ledger(database)
    sweep(database, date(2024, 1, 4))
    committed(
        database,
        reply_to_sheet,
        unit_principal(database),
        "2024-1",
        text="已完成主体整改，剩余点位1月底前完成",
        report_id=None,
        actor="portal 联络员",
        now=utcnow(),
    )
    assert sweep(database, date(2024, 1, 12)) == 0
    assert steps(database)[-1] == "escalation|M-000|2023-12-29|blue"
    shown = cli("duban", "show", "2024-1").output
    assert "签收：" in shown and "签收：未签收" not in shown  # a reply signs for the sheet too
    assert "第0街道办事处：已完成主体整改，剩余点位1月底前完成" in shown


def test_a_pending_sign_off_is_reminded_once_then_escalated_until_signed(database: Database) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from models.tables import Measure
    from tasks.notify.unsigned import plan_unsigned_assignments
    from tasks.reports.assignments import acknowledge

    ledger(database)
    with database.unit_of_work() as session:  # assigned on Tuesday 2 January 2024
        session.execute(update(Measure).values(created_at=datetime(2024, 1, 2, 2, tzinfo=UTC)))
        session.commit()
    policy = Policy(ack_chase_after=3)

    def chase(day: date) -> int:
        return committed(database, plan_unsigned_assignments, Clock(CAL, TIMEZONE, at(day)), policy).recorded

    assert chase(date(2024, 1, 4)) == 0
    assert chase(date(2024, 1, 5)) == 1  # the unit's reminder
    assert chase(date(2024, 1, 5)) == 0 and chase(date(2024, 1, 8)) == 0  # once per assignment
    assert chase(date(2024, 1, 9)) == 2  # 蓝色督办: to the leader and to the unit, with its sheet
    with database.unit_of_work() as session:
        kinds = sorted(d.key for d in session.scalars(select(Delivery)))
        (sheet,) = list_sheets(session)
    assert "M-000|ack_reminder|liaison-000#0|unsigned-" in kinds[0]
    assert sheet.level == "blue" and sheet.unsigned_workdays == 5
    assert "任务下达后已5个工作日未签收" in sheet_text(sheet)[1]
    # Signed: the chase stops.
    principal = unit_principal(database)
    committed(
        database,
        acknowledge,
        "M-000",
        unit_id=principal.unit_id,
        token_id=principal.token_id,
        actor="t",
        now=at(date(2024, 1, 9)),
    )
    assert chase(date(2024, 1, 15)) == 0


def test_a_co_unit_reads_the_sheet_but_only_the_lead_unit_signs_and_replies(database: Database) -> None:
    from models.errors import Forbidden
    from models.tables import Measure, measure_co_units, utcnow
    from tasks.reports.duban import acknowledge_sheet, sheet_page

    ledger(database, units=2)
    with database.unit_of_work() as session:  # unit-001 helps unit-000 on M-000
        ids = dict(session.execute(select(Unit.code, Unit.id)).all())
        m0 = session.scalar(select(Measure.id).where(Measure.code == "M-000"))
        session.execute(measure_co_units.insert().values(measure_id=m0, unit_id=ids["unit-001"]))
        session.commit()
    sweep(database, date(2024, 1, 4))
    lead = unit_principal(database)
    co = Principal(lead.token_id, TokenRole.UNIT, "配合单位", unit_id=ids["unit-001"], unit_code="unit-001")
    with database.unit_of_work() as session:
        assert sheet_page(session, co, "2024-1").addressee is False
        assert sheet_page(session, lead, "2024-1").addressee is True
        with pytest.raises(Forbidden):
            acknowledge_sheet(session, co, "2024-1", actor="co", now=utcnow())
        with pytest.raises(Forbidden):
            reply_to_sheet(
                session, co, "2024-1", text="配合单位的回复", report_id=None, actor="co", now=utcnow()
            )
