"""督办单 on real SQLite and PostgreSQL: issued once when a step 蓝/黄/红 is recorded, numbered per year
under concurrency, named by the escalation message, listed, shown and written as DOCX by the CLI."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.clock import Clock
from models.db import Database
from models.notifications import EscalationStep, Level, Policy
from models.tables import Delivery, DubanSheet
from models.workdays import WeekdayCalendar, workdays_in
from tasks.ledger.duban import issue_sheet, list_sheets
from tasks.notify.planner import plan_messages
from tests.factories import make_contact, make_measure, make_problem, make_round, make_unit
from tests.support.work import committed

TIMEZONE = "Asia/Shanghai"
TZ = ZoneInfo(TIMEZONE)
CAL = WeekdayCalendar(holidays=frozenset({date(2024, 1, 1)}))  # 元旦
POLICY = Policy()


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def ledger(database: Database, *, units: int = 1) -> str:
    """A round with coordinator (督办室) and head, ``units`` units each leading one measure due 2023-12-29."""
    with database.unit_of_work() as session:
        office = make_unit(session, "duban", name="区城管执法局整改工作督办室")
        coordinator = make_contact(
            session,
            "duban-office",
            person="张主任",
            role="督办室",
            unit=office,
            urls=["json://127.0.0.1:1/duban"],
        )
        head = make_contact(
            session, "bureau-head", person="王局长", role="局长", urls=["json://127.0.0.1:1/h"]
        )
        leader = make_contact(
            session, "leader-li", person="李某某", role="分管副局长", urls=["json://127.0.0.1:1/leader"]
        )
        round_ = make_round(session, coordinator=coordinator, head=head)
        problem = make_problem(session, round_, title="市容管理不到位")
        for n in range(units):
            unit = make_unit(session, f"unit-{n:03d}", name=f"第{n}街道办事处")
            make_contact(session, f"liaison-{n:03d}", unit=unit, urls=[f"json://127.0.0.1:1/u{n:03d}"])
            make_measure(session, problem, code=f"M-{n:03d}", lead_unit=unit, leader=leader)
        session.commit()
        return round_.code


def sweep_january(database: Database) -> None:
    for day in workdays_in(CAL, date(2024, 1, 2), date(2024, 1, 31)):
        committed(database, plan_messages, Clock(CAL, TIMEZONE, at(day)), POLICY)
        committed(database, plan_messages, Clock(CAL, TIMEZONE, at(day, 16)), POLICY)


def test_each_step_issues_one_numbered_sheet_that_its_message_names(database: Database) -> None:
    round_code = ledger(database)
    sweep_january(database)
    with database.unit_of_work() as session:
        sheets = list_sheets(session)
        bodies = {
            row.key: row.body
            for row in session.scalars(select(Delivery).where(Delivery.kind == "escalation"))
        }
    assert [(s.number, s.level, s.issued_on) for s in sheets] == [
        ("督办〔2024〕1号", "blue", date(2024, 1, 4)),
        ("督办〔2024〕2号", "yellow", date(2024, 1, 10)),
        ("督办〔2024〕3号", "red", date(2024, 1, 22)),
    ]
    blue = sheets[0]
    assert (blue.unit, blue.leader, blue.measure_code, blue.overdue_workdays) == (
        "第0街道办事处",
        "李某某",
        "M-000",
        3,
    )
    assert blue.problem == "问题一：市容管理不到位" and blue.issuer == "区城管执法局整改工作督办室"
    assert blue.reply_by == date(2024, 1, 11) and blue.reply_workdays == 5  # 5 工作日 after 1月4日
    assert blue.deadline == date(2023, 12, 29)
    assert all(s.measure_code == "M-000" for s in sheets) and round_code
    # The leader's 蓝色督办 message names its sheet, the office's 黄色 and the head's 红色 theirs.
    assert "督办单：督办〔2024〕1号" in bodies["M-000|escalation|leader-li#0|2023-12-29/blue"]
    assert "督办单：督办〔2024〕2号" in bodies["M-000|escalation|duban-office#0|2023-12-29/yellow"]
    assert "督办单：督办〔2024〕3号" in bodies["M-000|escalation|bureau-head#0|2023-12-29/red"]
    # The unit the sheets address reads the latest one's number in its daily 逾期 message.
    with database.unit_of_work() as session:
        overdue = {
            row.key.rsplit("|", 1)[1]: row.body
            for row in session.scalars(select(Delivery).where(Delivery.kind == "overdue"))
        }
    assert "督办单" not in overdue["2024-01-03"]
    assert (
        "督办单：督办〔2024〕1号" in overdue["2024-01-04"]
        and "督办单：督办〔2024〕2号" in overdue["2024-01-10"]
    )


def test_the_code_issuer_and_reply_days_are_settings(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.settings import get_settings

    monkeypatch.setenv("ZHENGGAI_DUBAN_CODE", "新城执督")
    monkeypatch.setenv("ZHENGGAI_DUBAN_ISSUER", "区城管执法局整改工作领导小组办公室")
    monkeypatch.setenv("ZHENGGAI_DUBAN_REPLY_WORKDAYS", "3")
    get_settings.cache_clear()
    ledger(database)
    committed(
        database,
        plan_messages,
        Clock(CAL, TIMEZONE, at(date(2024, 1, 4))),
        Policy.from_settings(get_settings()),
    )
    with database.unit_of_work() as session:
        (sheet,) = list_sheets(session)
    assert sheet.number == "新城执督〔2024〕1号"
    assert sheet.issuer == "区城管执法局整改工作领导小组办公室"
    assert (sheet.reply_workdays, sheet.reply_by) == (3, date(2024, 1, 9))


def _step(n: int, day: date) -> EscalationStep:
    return EscalationStep(
        None, f"M-{n:03d}", Level.BLUE, Level.UNIT, 3, date(2025, 12, 26), "分管副局长", None,
        day=day, unit=f"第{n}街道办事处", measure_text="整改", issuer="督办室", reply_by=day,
    )  # fmt: skip


def test_numbering_is_safe_under_concurrency(database: Database) -> None:
    """Sixteen writers issuing at once take 1…16 of 2026, each once (the counter row queues them)."""
    writers = 16
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def issue(n: int) -> None:
        try:
            with database.unit_of_work() as session:
                barrier.wait()
                issue_sheet(session, _step(n, date(2026, 3, 2)), code="督办", issuer="", reply_workdays=5)
                session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.unit_of_work() as session:
        rows = session.execute(select(DubanSheet.serial, DubanSheet.number, DubanSheet.year)).all()
    assert sorted(serial for serial, _n, _y in rows) == list(range(1, writers + 1))
    assert {year for _s, _n, year in rows} == {2026}
    assert len({number for _s, number, _y in rows}) == writers
    # A new year starts at 1 again.
    with database.unit_of_work() as session:
        sheet = issue_sheet(session, _step(99, date(2027, 1, 4)), code="督办", issuer="", reply_workdays=5)
        session.commit()
        assert sheet.number == "督办〔2027〕1号"


def test_two_sweeps_at_once_issue_each_sheet_once(database: Database) -> None:
    """Two overlapping sweeps on the day eight measures reach 蓝色督办: eight sheets, numbered 1…8."""
    ledger(database, units=8)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            with database.unit_of_work() as session:
                barrier.wait()
                plan_messages(session, Clock(CAL, TIMEZONE, at(date(2024, 1, 4))), POLICY)
                session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.unit_of_work() as session:
        sheets = list_sheets(session)
    assert sorted(s.measure_code for s in sheets) == [f"M-{n:03d}" for n in range(8)]
    assert sorted(int(s.number.removeprefix("督办〔2024〕").removesuffix("号")) for s in sheets) == list(
        range(1, 9)
    )


def test_cli_lists_shows_and_writes_a_sheet(
    database: Database, cli: Callable[..., Any], tmp_path: Path
) -> None:
    from docx import Document

    round_code = ledger(database)
    committed(database, plan_messages, Clock(CAL, TIMEZONE, at(date(2024, 1, 4))), POLICY)

    listed = cli("duban", "list", "--round", round_code)
    assert listed.exit_code == 0, listed.output
    assert "督办〔2024〕1号  蓝色  M-000  第0街道办事处" in listed.output
    assert "尚无督办单" in cli("duban", "list", "--round", "no-such-round").output

    shown = cli("duban", "show", "〔2024〕1号")
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[:3] == ["整改事项蓝色督办单", "督办〔2024〕1号", "第0街道办事处："]
    assert "已逾期3个工作日仍未完成" in shown.output and "2024年1月11日前" in shown.output

    target = tmp_path / "out" / "duban-1.docx"
    written = cli("duban", "docx", "督办〔2024〕1号", "-o", target)
    assert written.exit_code == 0, written.output
    texts = [p.text for p in Document(io.BytesIO(target.read_bytes())).paragraphs]
    assert texts[:2] == ["整改事项蓝色督办单", "督办〔2024〕1号"]

    unknown = cli("duban", "show", "督办〔2024〕9号")
    assert unknown.exit_code == 1
    assert "no 督办单 numbered '督办〔2024〕9号'" in unknown.output and "Traceback" not in unknown.output
    assert cli("duban", "docx", "督办〔2024〕9号", "-o", tmp_path / "x.docx").exit_code == 1
    assert not (tmp_path / "x.docx").exists()
    helped = cli("duban", "--help")
    assert "Example" in helped.output and "docx" in helped.output


def test_a_silent_ongoing_measure_climbs_the_ladder_through_the_planner(database: Database) -> None:
    """A 长期坚持 measure on the round's weekly ongoing cadence that never reports: one missing_report, then
    蓝/黄/红 each once with its 督办单 (periods missed, not days overdue), and nothing new after that."""
    with database.unit_of_work() as session:
        coordinator = make_contact(
            session, "duban-office", person="张主任", role="督办室", urls=["json://h/d"]
        )
        head = make_contact(session, "bureau-head", person="王局长", role="局长", urls=["json://h/h"])
        leader = make_contact(session, "leader-li", person="李某某", role="分管副局长", urls=["json://h/l"])
        round_ = make_round(
            session,
            coordinator=coordinator,
            head=head,
            feedback_date=date(2024, 1, 8),
            ongoing_cadence="每周一 09:00",
        )
        unit = make_unit(session, "unit-a", name="第一街道办事处")
        make_contact(session, "liaison-a", unit=unit, urls=["json://h/u"])
        make_measure(
            session,
            make_problem(session, round_),
            code="XH-02-1",
            lead_unit=unit,
            leader=leader,
            deadline=None,
            deadline_spec="长期坚持",
            cadence=None,
        )
        session.commit()
    mondays = [date(2024, 1, 15), date(2024, 1, 22), date(2024, 1, 29), date(2024, 2, 5), date(2024, 2, 12)]
    recorded = [
        committed(database, plan_messages, Clock(CAL, TIMEZONE, at(monday, 10)), POLICY).recorded
        for monday in mondays
    ]
    assert recorded == [1, 2, 2, 2, 0]  # missing_report; then leader+unit per step; then nothing new
    with database.unit_of_work() as session:
        sheets = list_sheets(session)
        rows = [
            (row.key, row.kind, row.body) for row in session.scalars(select(Delivery).order_by(Delivery.id))
        ]
    assert [(s.number, s.level, s.missed_periods, s.overdue_workdays) for s in sheets] == [
        ("督办〔2024〕1号", "blue", 2, None),
        ("督办〔2024〕2号", "yellow", 3, None),
        ("督办〔2024〕3号", "red", 4, None),
    ]
    assert [kind for _key, kind, _body in rows].count("missing_report") == 1
    bodies = {key: body for key, _kind, body in rows}
    leader_blue = bodies["XH-02-1|escalation|leader-li#0|silence-2024-01-08T09:00/blue"]
    assert "督办单：督办〔2024〕1号" in leader_blue and "已连续 2 个报送周期" in leader_blue
