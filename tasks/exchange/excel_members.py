"""The 台账's sheet of collectives' members: one row per member's share of a measure its collective owns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from models.collectives import LEAD
from models.measure_view import MeasureView
from models.rules import LIGHT_LABEL, STATE_LABEL, STATUS_LABEL

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

MEMBERS_SHEET = "成员单位进展"
MEMBER_COLUMNS = (
    "序号",
    "措施编号",
    "整改措施",
    "集体责任单位",
    "成员单位",
    "角色",
    "状态",
    "研判",
    "最新报送",
    "红黄绿灯",
)
MEMBER_WIDTHS = (6, 12, 40, 16, 16, 8, 10, 12, 18, 9)


def member_rows(views: Sequence[MeasureView], zone: str) -> list[list[str | int]]:
    """One row per member share, in the 台账's order (times shown in ``zone``)."""
    from zoneinfo import ZoneInfo

    rows: list[list[str | int]] = []
    for view in views:
        for share in view.members:
            reported = (
                share.last_report_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
                if share.last_report_at
                else ""
            )
            rows.append(
                [
                    len(rows) + 1,
                    view.code,
                    view.measure_text,
                    share.collective,
                    share.name,
                    "牵头" if share.role == LEAD else "配合",
                    STATUS_LABEL[share.status],
                    STATE_LABEL[share.state] if share.state else "",
                    reported,
                    LIGHT_LABEL[share.light] if share.light else "",
                ]
            )
    return rows


def add_members_sheet(workbook: Workbook, views: Sequence[MeasureView], zone: str) -> int:
    """Add the members' sheet when a collective with members owns a measure; return its row count.

    The import reads only the 台账's own sheet: this one is for reading (and printing) only.
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    rows = member_rows(views, zone)
    if not rows:
        return 0
    sheet = workbook.create_sheet(MEMBERS_SHEET)
    for index, (name, width) in enumerate(zip(MEMBER_COLUMNS, MEMBER_WIDTHS, strict=True), start=1):
        cell = sheet.cell(row=1, column=index, value=name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFD9D9D9")
        sheet.column_dimensions[get_column_letter(index)].width = width
    for r, row in enumerate(rows, start=2):
        for index, value in enumerate(row, start=1):
            sheet.cell(row=r, column=index, value=value).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(MEMBER_COLUMNS))}{len(rows) + 1}"
    sheet.page_setup.orientation = "landscape"
    return len(rows)
