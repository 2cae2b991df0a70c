"""Broken 台账 workbooks: each error names its cell, and the database is left exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models.errors import InvalidPlan
from models.tables import Measure, Problem, Report, Round, StatusEvent
from tasks.exchange.excel_export import export_ledger
from tasks.exchange.excel_import import import_ledger
from tasks.exchange.excel_sheet import SHEET, parse_deadline_cell
from tests.conftest import SEED_ROUND
from tests.factories import make_measure, make_problem, make_round
from tests.support.work import committed, settings_clock

# Rows of the exported seed: header on row 2, XH-01-1 on row 3 … XH-09-1 on row 30.
# Columns: A 序号, B 反馈问题, C 整改措施, D 责任领导, E 责任单位, F 配合单位, G 完成时限,
#          H 整改进展（最新）, I 状态, J 红黄绿灯, K 措施编号.


def state(database) -> tuple[object, ...]:
    from tasks.ledger.plan_export import export_plan

    with database.unit_of_work() as session:
        counts = tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (Round, Problem, Measure, Report, StatusEvent)
        )
    return (committed(database, export_plan, SEED_ROUND), *counts)


def set_cells(**cells: object) -> Callable[[object], None]:
    def edit(sheet) -> None:
        for ref, value in cells.items():
            sheet[ref] = value

    return edit


def clear_row(row: int) -> Callable[[object], None]:
    def edit(sheet) -> None:
        for column in range(1, 12):
            sheet.cell(row, column).value = None

    return edit


CASES: dict[str, tuple[Callable[[object], None], str, str, str]] = {
    # name: (edit, where, field, message fragment)
    "wrong header": (set_cells(C2="整改内容"), "整改台账!A2", "整改措施", "missing column 整改措施"),
    "no header row": (clear_row(2), "整改台账!A1", "header", "no header row in the first 10 rows"),
    "duplicate header": (set_cells(H2="状态"), "整改台账!I2", "状态", "appears twice (also H2)"),
    "bad date": (set_cells(G5="2023-13-01"), "整改台账!G5", "完成时限", "'2023-13-01' is not a date"),
    "bad Chinese date": (
        set_cells(G6="2023年2月30日"),
        "整改台账!G6",
        "完成时限",
        "'2023年2月30日' is not a date",
    ),
    "not a deadline": (
        set_cells(G7="尽快"),
        "整改台账!G7",
        "完成时限",
        "'尽快' is not a date, N个工作日 or 长期坚持",
    ),
    "empty deadline": (set_cells(G8=None), "整改台账!G8", "完成时限", "is empty"),
    "unknown unit": (set_cells(E9="不存在科"), "整改台账!E9", "责任单位", "'不存在科' is not a known unit"),
    "unknown co-unit": (
        set_cells(F10="局办公室、火星办"),
        "整改台账!F10",
        "配合单位",
        "'火星办' is not a known unit",
    ),
    "unknown leader": (
        set_cells(D11="王某某"),
        "整改台账!D11",
        "责任领导",
        "'王某某' is not a known contact",
    ),
    "empty measure": (set_cells(C12=None), "整改台账!C12", "整改措施", "is empty"),
    "duplicate 序号": (set_cells(A13=1), "整改台账!A13", "序号", "1 appears twice"),
    "duplicate 措施编号": (
        set_cells(K14="XH-01-1"),
        "整改台账!K14",
        "措施编号",
        "'XH-01-1' appears twice (also 整改台账!K3)",
    ),
    "unknown status": (
        set_cells(I15="差不多"),
        "整改台账!I15",
        "状态",
        "'差不多' is not one of 未启动、推进中、已完成、已销号",
    ),
    "malformed code": (set_cells(K16="XH 04 1"), "整改台账!K16", "措施编号", "must be a code"),
    "no owner": (set_cells(E17=None), "整改台账!E17", "责任单位", "no owner unit"),
    "empty first problem": (set_cells(B3=None), "整改台账!B3", "反馈问题", "is empty"),
    "code of another round": (
        set_cells(K18="OTHER-1"),
        "整改台账!K18",
        "措施编号",
        "belongs to round 'other'",
    ),
}


@pytest.fixture
def exported(seeded_database, tmp_path) -> Path:
    path = tmp_path / "台账.xlsx"
    committed(seeded_database, export_ledger, SEED_ROUND, path, settings_clock().on(date(2024, 1, 10)))
    with seeded_database.unit_of_work() as session:
        other = make_round(session, code="other")
        make_measure(session, make_problem(session, other), code="OTHER-1")
        session.commit()
    return path


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_broken_workbook_names_the_cell_and_writes_nothing(seeded_database, exported, case):
    edit, where, field, message = CASES[case]
    workbook = load_workbook(exported)
    edit(workbook[SHEET])
    workbook.save(exported)
    before = state(seeded_database)
    with pytest.raises(InvalidPlan) as error:
        committed(seeded_database, import_ledger, exported, settings_clock())
    issues = error.value.issues
    assert any(i.where == where and i.field == field and message in i.message for i in issues), issues
    assert str(exported) in str(error.value) and "nothing was written" in str(error.value)
    assert state(seeded_database) == before


def test_every_error_is_reported_at_once(seeded_database, exported):
    workbook = load_workbook(exported)
    set_cells(G5="2023-13-01", E9="不存在科", C12=None, I15="差不多")(workbook[SHEET])
    workbook.save(exported)
    before = state(seeded_database)
    with pytest.raises(InvalidPlan) as error:
        committed(seeded_database, import_ledger, exported, settings_clock())
    assert [i.where for i in error.value.issues] == [
        "整改台账!G5",
        "整改台账!E9",
        "整改台账!C12",
        "整改台账!I15",
    ]
    assert "整改台账!G5: 完成时限: '2023-13-01' is not a date" in str(error.value)
    assert state(seeded_database) == before


def test_not_a_workbook(seeded_database, tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_text("序号,反馈问题\n", encoding="utf-8")
    with pytest.raises(InvalidPlan, match=r"not an Excel \.xlsx workbook"):
        committed(seeded_database, import_ledger, path, settings_clock())


def test_round_mismatch_and_missing_round(seeded_database, exported):
    before = state(seeded_database)
    with pytest.raises(InvalidPlan) as error:
        committed(seeded_database, import_ledger, exported, settings_clock(), round_code="other")
    assert error.value.issues[-1].where == "说明!B1"
    workbook = load_workbook(exported)
    del workbook["说明"]
    workbook.save(exported)
    with pytest.raises(InvalidPlan, match="pass --round"):
        committed(seeded_database, import_ledger, exported, settings_clock())
    with pytest.raises(InvalidPlan, match="no round 'nope'"):
        committed(seeded_database, import_ledger, exported, settings_clock(), round_code="nope")
    assert state(seeded_database) == before


def test_cli_reports_cells_and_exits_1(cli, seeded_database, exported):
    workbook = load_workbook(exported)
    set_cells(G5="2023-13-01")(workbook[SHEET])
    workbook.save(exported)
    result = cli("ledger", "import", exported)
    assert result.exit_code == 1
    assert "error:" in result.stderr
    assert "整改台账!G5: 完成时限: '2023-13-01' is not a date" in result.stderr


def test_ambiguous_unit_name_asks_for_the_code(seeded_database, exported):
    from tests.factories import make_unit

    with seeded_database.unit_of_work() as session:
        make_unit(session, "weishengdui-2", name="区卫生队")
        session.commit()
    row = 3  # XH-01-1
    workbook = load_workbook(exported)
    set_cells(**{f"E{row}": "区卫生队"})(workbook[SHEET])
    workbook.save(exported)
    before = state(seeded_database)
    with pytest.raises(InvalidPlan) as error:
        committed(seeded_database, import_ledger, exported, settings_clock())
    assert [str(i) for i in error.value.issues] == [
        "整改台账!E3: 责任单位: '区卫生队' names several: weishengdui, weishengdui-2 (write the code)"
    ]
    assert state(seeded_database) == before
    # Written as a code, it imports.
    set_cells(**{f"E{row}": "weishengdui-2"})(workbook[SHEET])
    workbook.save(exported)
    _, changes = committed(seeded_database, import_ledger, exported, settings_clock())
    assert changes.changed["measures"] == ["XH-01-1"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2024, 3, 31), date(2024, 3, 31)),
        (date(2024, 3, 31), date(2024, 3, 31)),
        ("2024-03-31", date(2024, 3, 31)),
        ("2024/3/31", date(2024, 3, 31)),
        ("2024.3.31", date(2024, 3, 31)),
        ("2024年3月31日", date(2024, 3, 31)),
        (45382, date(2024, 3, 31)),  # an unformatted Excel serial
        ("20个工作日", "20个工作日"),
        ("长期坚持", "长期坚持"),
    ],
)
def test_deadline_cells(value, expected):
    assert parse_deadline_cell(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2023-13-01", "'2023-13-01' is not a date"),
        ("下周", "is not a date, N个工作日"),
        (12, "'12' is not a date"),
    ],
)
def test_bad_deadline_cells(value, message):
    with pytest.raises(ValueError, match=message):
        parse_deadline_cell(value)
