"""A round's 台账 written as an Excel workbook: one row per measure with its latest progress, status and light."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from models.clock import Clock
from models.errors import UnknownRound
from models.measure_view import MeasureView
from models.rules import LIGHT_LABEL, STATUS_LABEL, Light, chinese_ordinal, parse_deadline
from models.tables import Round
from tasks.exchange.excel_members import add_members_sheet
from tasks.exchange.excel_sheet import COLUMNS, NOTES_SHEET, ROUND_KEY, SHEET
from tasks.ledger.queries import measure_views

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from sqlalchemy.orm import Session


WIDTHS = (6, 32, 48, 12, 16, 16, 12, 48, 9, 9, 16)
LIGHT_FILL = {Light.RED: "FFFF8080", Light.YELLOW: "FFFFE066", Light.GREEN: "FF8FD19E"}


def problem_heading(view: MeasureView) -> str:
    """The 反馈问题 cell: ``一、<title>。<description>``."""
    heading = f"{chinese_ordinal(view.problem_ordinal)}、{view.problem_title}"
    description = view.problem_description.strip()
    if description:
        heading += ("" if heading.endswith(("。", "！", "？")) else "。") + description
    return heading


def row_cells(serial: int, view: MeasureView) -> list[Any]:
    """One measure's cells, in ``COLUMNS`` order."""
    spec = parse_deadline(view.deadline_spec)
    return [
        serial,
        problem_heading(view),
        view.measure_text,
        view.leader_person or "",
        view.lead_unit or "",
        "、".join(view.co_units),
        spec.on if spec.on is not None else view.deadline_spec,
        view.last_report_text or "",
        STATUS_LABEL[view.status],
        LIGHT_LABEL[view.light],
        view.code,
    ]


def build_workbook(round_code: str, round_title: str, rows: Sequence[MeasureView], today: date) -> Workbook:
    """The 台账 workbook, formatted for printing on A4 landscape."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET
    last = get_column_letter(len(COLUMNS) - 1)  # the title spans the visible columns
    thin = Side(style="thin", color="FF808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)

    sheet["A1"] = f"{round_title}台账（截至{today.year}年{today.month}月{today.day}日）"
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = centre
    sheet.merge_cells(f"A1:{last}1")
    sheet.row_dimensions[1].height = 30
    for index, (name, width) in enumerate(zip(COLUMNS, WIDTHS, strict=True), start=1):
        cell = sheet.cell(row=2, column=index, value=name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFD9D9D9")
        cell.alignment = centre
        cell.border = border
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.column_dimensions[get_column_letter(len(COLUMNS))].hidden = True

    first_data = 3
    for offset, row in enumerate(rows):
        r = first_data + offset
        for index, value in enumerate(row_cells(offset + 1, row), start=1):
            cell = sheet.cell(row=r, column=index, value=value)
            cell.alignment = centre if index in (1, 7, 9, 10) else wrap_top
            cell.border = border
        sheet.cell(row=r, column=7).number_format = "yyyy-mm-dd"
        sheet.cell(row=r, column=10).fill = PatternFill("solid", fgColor=LIGHT_FILL[row.light])
    # The problem column merged down each problem's rows, as a hand-made 台账 has it.
    start = 0
    for index in range(1, len(rows) + 1):
        if index == len(rows) or rows[index].problem_ordinal != rows[start].problem_ordinal:
            if index - start > 1:
                sheet.merge_cells(
                    start_row=first_data + start, end_row=first_data + index - 1, start_column=2, end_column=2
                )
            start = index

    if rows:
        status_list = DataValidation(
            type="list", formula1='"' + ",".join(STATUS_LABEL.values()) + '"', allow_blank=True
        )
        status_list.add(f"I{first_data}:I{first_data + len(rows) - 1}")
        sheet.add_data_validation(status_list)
    sheet.freeze_panes = f"A{first_data}"
    sheet.auto_filter.ref = f"A2:{last}{max(2, first_data + len(rows) - 1)}"
    sheet.print_title_rows = "1:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"

    notes = workbook.create_sheet(NOTES_SHEET)
    for r, (key, value) in enumerate(
        [
            (ROUND_KEY, round_code),
            ("轮次", round_title),
            ("导出日期", today),
            (
                "说明",
                "整改进展（最新）与红黄绿灯由报送情况生成，导入时不读取；隐藏的“措施编号”列请勿修改，新增措施留空即可。",
            ),
            ("导入", f"zhenggai ledger import 台账.xlsx --round {round_code}"),
        ],
        start=1,
    ):
        notes.cell(row=r, column=1, value=key).font = Font(bold=True)
        notes.cell(row=r, column=2, value=value).alignment = Alignment(wrap_text=True)
    notes["B3"].number_format = "yyyy-mm-dd"
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 80
    return workbook


def export_ledger(session: Session, round_code: str, path: Path, clock: Clock) -> int:
    """Write the round's 台账 as of the clock's day to ``path``; return the number of measure rows."""
    title = session.scalar(select(Round.title).where(Round.code == round_code))
    if title is None:
        raise UnknownRound(f"no round '{round_code}'")
    views = measure_views(session, clock.on(clock.today), round_code=round_code)
    workbook = build_workbook(round_code, title, views, clock.today)
    add_members_sheet(workbook, views, clock.timezone)  # a collective's members, one row per share
    workbook.save(path)
    return len(views)
