"""The Excel 整改台账: export formatting, export → import round trip, edits, and a hand-made 台账 with merged cells."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment
from sqlalchemy import func, select

from models.enums import MeasureStatus
from models.rules import Light
from models.tables import Measure, Problem, Round, StatusEvent
from tasks.exchange.excel_export import LIGHT_FILL, export_ledger
from tasks.exchange.excel_import import import_ledger
from tasks.exchange.excel_sheet import COLUMNS, SHEET
from tasks.ledger.plan_export import export_plan
from tests.conftest import SEED_ROUND
from tests.factories import make_contact, make_round, make_unit
from tests.support.work import committed, settings_clock

AS_OF = date(2024, 1, 10)


def export(database, path: Path, as_of: date = AS_OF) -> Path:
    committed(database, export_ledger, SEED_ROUND, path, settings_clock().on(as_of))
    return path


def row_of(sheet, code: str) -> int:
    for row in range(3, sheet.max_row + 1):
        if sheet.cell(row, 11).value == code:
            return row
    raise AssertionError(code)


def test_export_then_import_gives_the_same_ledger(seeded_database, tmp_path):
    before = committed(seeded_database, export_plan, SEED_ROUND)
    with seeded_database.unit_of_work() as session:
        events = session.scalar(select(func.count()).select_from(StatusEvent))
    path = export(seeded_database, tmp_path / "台账.xlsx")
    result, changes = committed(seeded_database, import_ledger, path, settings_clock())
    assert changes.total == 0, changes.summary()
    assert result.plan is not None and len(result.plan.problems) == 9
    assert committed(seeded_database, export_plan, SEED_ROUND) == before
    with seeded_database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(StatusEvent)) == events


def test_export_layout_for_printing(seeded_database, tmp_path):
    path = export(seeded_database, tmp_path / "台账.xlsx")
    workbook = load_workbook(path)
    sheet = workbook[SHEET]
    assert [sheet.cell(2, c).value for c in range(1, 12)] == list(COLUMNS)
    assert sheet["A1"].value == "区委第二巡察组常规巡察反馈问题整改台账（截至2024年1月10日）"
    assert sheet.freeze_panes == "A3"
    assert sheet.print_title_rows == "$1:$2"
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4) == 9
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.column_dimensions["C"].width == 48
    assert sheet.column_dimensions["K"].hidden is True
    assert sheet["C3"].alignment.wrap_text is True
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:J1", "B3:B6", "B7:B8", "B9:B11"} <= merged  # 4, 2 and 3 measures
    assert sheet["B3"].value.startswith("一、学习未能真正“入脑入心”。在学习党的二十大精神")
    # Markers print before the text; owners by name; dates as date cells, other deadlines as written.
    first = row_of(sheet, "XH-02-1")
    assert sheet.cell(first, 3).value.startswith("一是")
    assert sheet.cell(row_of(sheet, "XH-03-3"), 3).value.startswith("三要")
    assert sheet.cell(first, 5).value == "局党组"
    assert sheet.cell(row_of(sheet, "XH-01-1"), 7).value == "长期坚持"
    assert sheet.cell(row_of(sheet, "XH-01-3"), 7).value == "20个工作日"
    overdue = row_of(sheet, "XH-02-2")  # 2023-12-31, in progress on 2024-01-10
    assert sheet.cell(overdue, 7).value == datetime(2023, 12, 31)
    assert sheet.cell(overdue, 7).number_format == "yyyy-mm-dd"
    assert sheet.cell(overdue, 9).value == "推进中"
    assert sheet.cell(overdue, 10).value == "红灯"
    assert sheet.cell(overdue, 10).fill.fgColor.rgb == LIGHT_FILL[Light.RED]
    done = row_of(sheet, "XH-01-2")
    assert (sheet.cell(done, 9).value, sheet.cell(done, 10).value) == ("已完成", "绿灯")
    assert sheet.cell(done, 10).fill.fgColor.rgb == LIGHT_FILL[Light.GREEN]
    assert sheet.cell(done, 8).value.startswith("理论学习到位，先后召开中心组集体学习会")
    assert workbook["说明"]["B1"].value == SEED_ROUND


def test_edited_workbook_updates_adds_and_removes(seeded_database, tmp_path):
    path = export(seeded_database, tmp_path / "台账.xlsx")
    workbook = load_workbook(path)
    sheet = workbook[SHEET]
    edited = row_of(sheet, "XH-02-2")
    sheet.cell(edited, 5).value = "区卫生队"
    sheet.cell(edited, 6).value = "局办公室、jiedao"  # by name or by code
    sheet.cell(edited, 7).value = "2024年3月31日"
    sheet.cell(edited, 9).value = "已完成"
    cleared = row_of(sheet, "XH-07-3")
    for column in range(1, 12):
        if column != 2:  # the problem cell is merged from above
            sheet.cell(cleared, column).value = None
    new = sheet.max_row + 1
    for column, value in enumerate(
        [99, "十、新增问题。新增问题的描述。", "一是建立新机制", "", "局办公室", "", "长期坚持"], 1
    ):
        sheet.cell(new, column).value = value
    workbook.save(path)

    # XH-02-2's 状态 was reached by a unit's report: the sheet's 已完成 wins only when asked for.
    _, changes = committed(
        seeded_database, import_ledger, path, settings_clock(), allow_removals=True, take_plan=["status"]
    )
    assert changes.changed["measures"] == ["XH-02-2"]
    assert changes.removed["measures"] == ["XH-07-3"]
    assert changes.added["measures"] == ["XH-10-1"]
    with seeded_database.unit_of_work() as session:
        measure = session.scalar(select(Measure).where(Measure.code == "XH-02-2"))
        assert measure.lead_unit.code == "weishengdui"
        assert [u.code for u in measure.co_units] == ["bangongshi", "jiedao"]
        assert measure.deadline == date(2024, 3, 31)
        assert measure.status == MeasureStatus.DONE
        new_measure = session.scalar(select(Measure).where(Measure.code == "XH-10-1"))
        assert (new_measure.marker, new_measure.text) == ("一是", "建立新机制")
        assert (new_measure.problem.ordinal, new_measure.problem.title) == (10, "新增问题")
        assert new_measure.problem.description == "新增问题的描述。"
        kept = session.scalar(select(Measure).where(Measure.code == "XH-05-2"))
        assert kept.cadence == "每周一 09:00"  # not in the sheet: kept as the ledger holds it
        lead_in = session.scalar(select(Problem.outcome_lead_in).where(Problem.ordinal == 7))
        assert lead_in.startswith("针对收水井口倾倒餐厨垃圾")


def handmade_workbook(path: Path) -> Path:
    """A 台账 typed by hand: title row, synonyms in the header, merged 序号 and problem cells, a 备注 column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet["A1"] = "巡察反馈问题整改台账"
    sheet.merge_cells("A1:H1")
    sheet.append(["序号", "问题", "整改措施", "牵头领导", "牵头单位", "配合单位", "整改时限", "备注"])
    rows = [
        [
            1,
            "1.河道巡查不到位。部分河段巡查记录缺失。",
            "一是补齐巡查记录",
            "李局长",
            "河道科",
            "办公室",
            "2024-03-31",
            "",
        ],
        [None, None, "二是建立巡查打卡制度", "李局长", "河道科", None, datetime(2024, 6, 30), "按月通报"],
        [None, None, "三是纳入年度考核", None, "办公室", "河道科、办公室", "长期坚持", None],
        [
            2,
            "2.防汛物资储备不足",
            "更新防汛物资，建立物资台账",
            "王副局长",
            "防汛办",
            None,
            "2024年5月31日",
            None,
        ],
        [None, None, "开展应急演练", "王副局长", "防汛办", None, "20个工作日", None],
    ]
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("A3:A5")
    sheet.merge_cells("B3:B5")
    sheet.merge_cells("A6:A7")
    sheet.merge_cells("B6:B7")
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True)
    sheet.append([None] * 8)  # trailing empty rows are ignored
    workbook.save(path)
    return path


def test_handmade_ledger_with_merged_cells_imports(database, tmp_path):
    with database.unit_of_work() as session:
        make_round(session, code="sl-2024", title="水利局巡察整改")
        for code, name in [("hedao", "河道科"), ("bangong", "办公室"), ("fangxun", "防汛办")]:
            make_unit(session, code, name=name)
        make_contact(session, "li", person="李局长", role="局长")
        make_contact(session, "wang", person="王副局长", role="副局长")
        session.commit()
    path = handmade_workbook(tmp_path / "hand.xlsx")
    result, changes = committed(database, import_ledger, path, settings_clock(), round_code="sl-2024")
    assert result.sheet.ignored_columns == ["备注"]
    assert changes.added["measures"] == ["M-01-1", "M-01-2", "M-01-3", "M-02-1", "M-02-2"]
    with database.unit_of_work() as session:
        round_ = session.scalar(select(Round).where(Round.code == "sl-2024"))
        assert [(p.title, p.description) for p in round_.problems] == [
            ("河道巡查不到位", "部分河段巡查记录缺失。"),
            ("防汛物资储备不足", ""),
        ]
        first, second = round_.problems
        assert [(m.marker, m.text) for m in first.measures] == [
            ("一是", "补齐巡查记录"),
            ("二是", "建立巡查打卡制度"),
            ("三是", "纳入年度考核"),
        ]
        assert [m.lead_unit.code for m in first.measures] == ["hedao", "hedao", "bangong"]
        assert [u.code for u in first.measures[2].co_units] == ["bangong", "hedao"]
        assert [m.leader.code if m.leader else None for m in first.measures] == ["li", "li", None]
        assert [m.deadline for m in first.measures] == [date(2024, 3, 31), date(2024, 6, 30), None]
        assert [m.deadline_spec for m in second.measures] == ["2024-05-31", "20个工作日"]
        assert second.measures[0].marker == ""
    # Importing the same hand-made sheet again changes nothing (codes are matched by position now).
    _, again = committed(database, import_ledger, path, settings_clock(), round_code="sl-2024")
    assert again.count("added", "measures") == 0


@pytest.mark.parametrize("as_of", [date(2023, 11, 1)])
def test_cli_export_and_import(cli, seeded_database, tmp_path, as_of):
    path = tmp_path / "台账.xlsx"
    exported = cli("ledger", "export", "--round", SEED_ROUND, "-o", path, "--as-of", as_of.isoformat())
    assert exported.exit_code == 0, exported.output
    assert "28 measures" in exported.stdout
    imported = cli("ledger", "import", path)
    assert imported.exit_code == 0, imported.output
    assert "0 changes" in imported.stdout
