"""Hostile and odd input (docs/reliability.md, "Bad input"): refused with a 4xx naming the field and the
ledger unchanged, or normalised by the one text rule (models.text); rows stored before the rule never stop a
notice, an export or a terminal. Both backends."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models.db import Database
from models.settings import Settings
from models.tables import Report
from tests.integration.test_api import build_ledger, client_for, post_report
from tests.integration.test_api_bad_input import _without_token_use
from tests.support.dump import dump

BAD: list[tuple[str, str, dict[str, Any], int, str]] = [
    # id, role, fields, status, field
    ("NUL in text", "unit", {"text": "已整改\x00完毕"}, 422, "text"),
    ("ESC in text", "unit", {"text": "已整改\x1b[2J完毕"}, 422, "text"),
    ("BEL in text", "unit", {"text": "已整改\x07"}, 422, "text"),
    ("C1 control in text", "unit", {"text": "已整改\x9b31m"}, 422, "text"),
    ("DEL in text", "unit", {"text": "已整改\x7f"}, 422, "text"),
    ("NUL in author", "unit", {"author": "张\x00三"}, 422, "author"),
    ("NUL in measure", "unit", {"measure": "MA-1\x00"}, 422, "measure"),
    ("NUL in unit", "coordinator", {"unit": "unit-a\x00"}, 422, "unit"),
    (
        "NUL in metric name",
        "unit",
        {"metrics": json.dumps([{"name": "宣\x00", "value": 1}])},
        422,
        "metrics[0].name",
    ),
    (
        "metric name of invisible characters",
        "unit",
        {"metrics": json.dumps([{"name": "\u200b\u200d", "value": 1}])},
        422,
        "metrics[0].name",
    ),
    ("author over its column", "unit", {"author": "张" * 101}, 422, "author"),
    ("text over its limit", "unit", {"text": "字" * 20_001}, 422, "text"),
    ("supersedes 2^31", "unit", {"supersedes": str(2**31)}, 422, "supersedes"),
    ("supersedes 2^63", "unit", {"supersedes": str(2**63)}, 422, "supersedes"),
    ("supersedes 2^64", "unit", {"supersedes": str(2**64)}, 422, "supersedes"),
    ("supersedes negative", "unit", {"supersedes": "-1"}, 422, "supersedes"),
    (
        "metric 1e999999999",
        "unit",
        {"metrics": '[{"name": "x", "value": 1e999999999}]'},
        422,
        "metrics[0].value",
    ),
    (
        "metric '1e999999999'",
        "unit",
        {"metrics": '[{"name": "x", "value": "1e999999999"}]'},
        422,
        "metrics[0].value",
    ),
    (
        "metric '-1e-999999999'",
        "unit",
        {"metrics": '[{"name": "x", "value": "-1e-999999999"}]'},
        422,
        "metrics[0].value",
    ),
    ("metrics nested 100,000 deep", "unit", {"metrics": "[" * 100_000 + "]" * 100_000}, 422, "metrics"),
    ("metrics nested 5,000 deep", "unit", {"metrics": "[" * 5_000 + "]" * 5_000}, 422, "metrics"),
    (
        "submitted_at in year 1, +14:00",
        "coordinator",
        {"submitted_at": "0001-01-01T00:00:00+14:00"},
        422,
        "submitted_at",
    ),
    ("period in year 1", "unit", {"period_start": "0001-01-01", "period_end": "0001-01-31"}, 422, "period"),
    ("period before the inspection", "unit", {"period_end": "2023-06-28"}, 422, "period"),
    ("period starting before the inspection", "unit", {"period_start": "2023-01-01"}, 422, "period"),
]


@pytest.mark.parametrize(("role", "fields", "status", "field"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_hostile_report_fields_are_refused_naming_the_field(
    role: str, fields: dict[str, Any], status: int, field: str, settings: Settings, database: Database
) -> None:
    ledger = build_ledger(database)
    before = dump(database)
    fields = dict(fields)
    measure = fields.pop("measure", ledger.own_measure)
    with client_for(settings) as client:
        response = post_report(client, ledger, role, measure, **fields)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    named = [d["field"] for d in detail] if isinstance(detail, list) else [detail["field"]]
    assert field in named, detail
    assert dump(database) == _without_token_use(before, dump(database))


def test_a_report_during_the_inspection_is_accepted(settings: Settings, database: Database) -> None:
    """立行立改: a period inside the inspection (after it began) is legitimate."""
    ledger = build_ledger(database)
    with client_for(settings) as client:
        response = post_report(
            client, ledger, "unit", ledger.own_measure, period_start="2023-06-29", period_end="2023-07-15"
        )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/measures/MA-1%00",
        "/api/measures/%00/reports",
        "/api/units/unit-a%00/measures",
        "/api/evidence/%1b",
    ],
)
def test_a_control_character_in_a_path_segment_is_400(
    path: str, settings: Settings, database: Database
) -> None:
    ledger = build_ledger(database)
    with client_for(settings) as client:
        response = client.get(path, headers=ledger.headers("coordinator"))
    assert response.status_code == 400, response.text
    assert response.json()["detail"]["field"] == "path"


def test_word_line_breaks_and_invisible_characters_are_normalised_on_intake(
    settings: Settings, database: Database
) -> None:
    ledger = build_ledger(database)
    text = "\ufeff一是召开会议\v二是\u200b整改\f三是\u2028四是\u2029五是\u202e完毕\r\n六是"
    with client_for(settings) as client:
        response = post_report(client, ledger, "unit", ledger.own_measure, text=text, author="张\u200d三")
    assert response.status_code == 201, response.text
    with database.unit_of_work() as session:
        stored = session.scalars(select(Report)).one()
        assert stored.text == "一是召开会议\n二是整改\n三是\n四是\n五是完毕\n六是"
        assert stored.author == "张三"


# -- rows stored before the rule --------------------------------------------------------------------

NOW = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
BAD_TEXT = "已整改\x1b完毕\v二是\x07\x01\x7f\x9b落实\f"


def _seed_with_a_bad_report(database: Database) -> None:
    from tests.factories import make_measure, make_report

    with database.unit_of_work() as session:
        measure = make_measure(session)
        make_report(session, measure, text=BAD_TEXT)
        round_code = measure.problem.round.code
        session.commit()
    database.round_code = round_code  # type: ignore[attr-defined]


def test_a_stored_bad_report_never_stops_the_notice_in_any_format(database: Database) -> None:
    from models.clock import Clock
    from models.workdays import WeekdayCalendar
    from tasks.notice.load import load_notice_document
    from tasks.notice.render import render_notice

    _seed_with_a_bad_report(database)
    clock = Clock(WeekdayCalendar(), "Asia/Shanghai", NOW).on(date(2023, 12, 31))
    with database.unit_of_work() as session:
        document = load_notice_document(session, database.round_code, clock)  # type: ignore[attr-defined]
    for fmt in ("txt", "md", "html"):
        content = render_notice(document, fmt)
        assert isinstance(content, str)
        assert "已整改完毕" in content and "二是落实" in content
        assert not any(ch in content for ch in "\x1b\x07\x01\x7f\x9b\v\f")
    docx = render_notice(document, "docx")
    assert isinstance(docx, bytes)
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        assert "已整改完毕".encode() in archive.read("word/document.xml")


def test_a_stored_bad_report_never_stops_the_ledger_export(database: Database, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from models.clock import Clock
    from models.workdays import WeekdayCalendar
    from tasks.exchange.excel_export import export_ledger
    from tests.support.work import committed

    _seed_with_a_bad_report(database)
    path = tmp_path / "台账.xlsx"
    clock = Clock(WeekdayCalendar(), "Asia/Shanghai", NOW).on(date(2024, 1, 10))
    committed(database, export_ledger, database.round_code, path, clock)  # type: ignore[attr-defined]
    values = [str(c.value) for row in load_workbook(path).active.iter_rows() for c in row if c.value]
    assert any("已整改完毕" in v for v in values)


def test_an_excel_ledger_passes_the_same_text_rule(seeded_database: Database, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from models.tables import Measure
    from tasks.exchange.excel_export import export_ledger
    from tasks.exchange.excel_import import import_ledger
    from tasks.exchange.excel_sheet import SHEET
    from tests.conftest import SEED_ROUND
    from tests.support.work import committed, settings_clock

    path = tmp_path / "台账.xlsx"
    committed(seeded_database, export_ledger, SEED_ROUND, path, settings_clock().on(date(2024, 1, 10)))
    workbook = load_workbook(path)
    sheet = workbook[SHEET]
    row = next(r for r in range(3, sheet.max_row + 1) if sheet.cell(r, 11).value == "XH-02-2")
    sheet.cell(row, 3).value = "一是\u200b建立\u202e新机制\u2028二是落实"
    workbook.save(path)

    committed(seeded_database, import_ledger, path, settings_clock())
    with seeded_database.unit_of_work() as session:
        text = session.scalars(select(Measure.text).where(Measure.code == "XH-02-2")).one()
    assert text == "建立新机制\n二是落实"  # the marker 一是 is split off as the sheet does


def test_idempotency_keys_of_a_unit_coded_like_a_role_do_not_collide(
    settings: Settings, database: Database
) -> None:
    role = "coordinator"  # a unit whose code is a role's name (leaders cannot report)
    from models.enums import TokenRole
    from tasks.reports.tokens import issue_token
    from tests.factories import make_measure, make_unit

    with database.unit_of_work() as session:
        lookalike = make_unit(session, role)
        make_measure(session, code="LK-1", lead_unit=lookalike, deadline=date(2030, 6, 28))
        make_measure(session, code="CO-1", lead_unit=make_unit(session, "other"), deadline=date(2030, 6, 28))
        unit_token = issue_token(
            session, role=TokenRole.UNIT, unit_code=role, label="lookalike", now=NOW
        ).secret
        role_token = issue_token(session, role=TokenRole.COORDINATOR, label="coord", now=NOW).secret
        session.commit()
    form = {"text": "已召开专题会议。", "period_end": "2024-01-05"}
    with client_for(settings) as client:
        first = client.post(
            "/api/reports",
            data={**form, "measure": "CO-1", "unit": "other"},
            headers={"Authorization": f"Bearer {role_token}", "Idempotency-Key": "weekly-1"},
        )
        second = client.post(
            "/api/reports",
            data={**form, "measure": "LK-1"},
            headers={"Authorization": f"Bearer {unit_token}", "Idempotency-Key": "weekly-1"},
        )
    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]
