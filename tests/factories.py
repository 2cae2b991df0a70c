"""Row factories for tests: each takes a session and overrides, and creates missing parents.

They flush (so ids exist) but never commit: the test decides. At the end, plain-object helpers for notices.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import MeasureStatus, ReportStatus, UnitKind
from models.notice import NoticeDocument
from models.tables import Contact, Measure, Problem, Report, ReportMetric, Round, Unit

_counter = itertools.count(1)


def _next() -> int:
    return next(_counter)


def make_round(session: Session, **overrides: Any) -> Round:
    n = _next()
    values: dict[str, Any] = {
        "code": f"round-{n}",
        "title": f"第{n}轮巡察整改",
        "inspected_org": "中共新华区城市管理综合行政执法局党组",
        "inspecting_body": "区委第二巡察组",
        "inspection_start": date(2023, 6, 29),
        "inspection_end": date(2023, 8, 31),
        "feedback_date": date(2023, 10, 19),
        "contact_phone": "0311-86952558",
        "contact_address": "石家庄市新华区康乐街1号新华大厦419室",
        "contact_postcode": "050000",
        "contact_email": "xhqcgjjs@163.com",
    }
    values.update(overrides)
    round_ = Round(**values)
    session.add(round_)
    session.flush()
    return round_


def make_unit(session: Session, code: str | None = None, **overrides: Any) -> Unit:
    code = code or f"unit-{_next()}"
    existing = session.scalar(select(Unit).where(Unit.code == code))
    if existing is not None:
        return existing
    values: dict[str, Any] = {"code": code, "name": f"{code}单位", "kind": UnitKind.DEPARTMENT}
    values.update(overrides)
    unit = Unit(**values)
    session.add(unit)
    session.flush()
    return unit


def make_contact(session: Session, code: str | None = None, **overrides: Any) -> Contact:
    code = code or f"contact-{_next()}"
    values: dict[str, Any] = {
        "code": code,
        "person": f"{code}联络员",
        "role": "联络员",
        "urls": [f"json://127.0.0.1:8089/{code}"],
    }
    values.update(overrides)
    contact = Contact(**values)
    session.add(contact)
    session.flush()
    return contact


def make_problem(session: Session, round: Round | None = None, **overrides: Any) -> Problem:
    round_ = round or make_round(session)
    values: dict[str, Any] = {
        "round": round_,
        "ordinal": len([p for p in round_.problems if p.removed_at is None]) + 1,
        "title": "学习理解不系统、不深入",
        "description": "谈话中班子成员普遍反映对新发展理念的认识还不够深刻。",
    }
    values.update(overrides)
    problem = Problem(**values)
    session.add(problem)
    session.flush()
    return problem


def make_measure(session: Session, problem: Problem | None = None, **overrides: Any) -> Measure:
    problem = problem or make_problem(session)
    values: dict[str, Any] = {
        "code": f"M-{_next():04d}",
        "problem": problem,
        "ordinal": len(problem.measures) + 1,
        "marker": "",
        "text": "每周召开市容管理周例会，通报讲评上周工作",
        "deadline": date(2023, 12, 29),
        "deadline_spec": "2023-12-29",
        "status": MeasureStatus.PLANNED,
    }
    values.update(overrides)
    if "lead_unit" not in values and "lead_unit_id" not in values:
        values["lead_unit"] = make_unit(session)
    if values.get("deadline") is None and "deadline_spec" not in overrides:
        values["deadline_spec"] = "长期坚持"
    measure = Measure(**values)
    session.add(measure)
    session.flush()
    return measure


def make_report(session: Session, measure: Measure | None = None, **overrides: Any) -> Report:
    """A stored report, bypassing validation (use tasks.reports.record.record_report to test the intake)."""
    measure = measure or make_measure(session)
    metrics = overrides.pop("metrics", [])
    values: dict[str, Any] = {
        "measure": measure,
        "unit": measure.lead_unit,
        "submitted_at": datetime(2023, 12, 15, 2, 0, tzinfo=UTC),
        "author": "局办公室",
        "text": "已召开专题会议研究部署。",
        "claimed_status": ReportStatus.IN_PROGRESS,
    }
    values.update(overrides)
    report = Report(**values)
    for position, (name, value, unit) in enumerate(metrics):
        report.metrics.append(
            ReportMetric(position=position, name=name, value=Decimal(str(value)), unit=unit)
        )
    session.add(report)
    session.flush()
    return report


# -- notices ------------------------------------------------------------------------------------------

FORMAL_NOTICE: dict[str, Any] = {
    "masthead": "中共新华区城市管理综合行政执法局党组文件",
    "document_number": "新城执党〔2024〕3号",
    "copy_to": "区委巡察办，区纪委监委",
    "printed_by": "中共新华区城市管理综合行政执法局办公室",
    "printed_on": date(2024, 1, 5),
}


def formal_notice(document: NoticeDocument, **changes: Any) -> NoticeDocument:
    """The notice with a 版头 (masthead, document number) and a 版记 (copy-to, printed by and on)."""
    return replace(document, **{**FORMAL_NOTICE, **changes})
