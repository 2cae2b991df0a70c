"""The desk's overview as an Excel workbook: the counts, the units and the measures the filters keep.

A text cell is always text: one starting with ``=`` is stored as a string, never a formula.
"""

from __future__ import annotations

import io
from typing import Any

from models.clock import Clock
from models.rules import LIGHT_LABEL, STATE_LABEL, STATUS_LABEL
from tasks.reports.desk import COUNTS, Overview

UNIT_HEADERS = (
    "单位",
    "牵头",
    "配合",
    "已完成",
    "逾期",
    "未按期报送",
    "绿灯",
    "黄灯",
    "红灯",
    "最近报送",
    "成员",
)
MEASURE_HEADERS = (
    "措施",
    "问题",
    "内容",
    "牵头单位",
    "配合单位",
    "完成时限",
    "状态",
    "进展",
    "灯",
    "最近报送",
)


def _append(sheet: Any, values: tuple[Any, ...] | list[Any]) -> None:
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def overview_workbook(overview: Overview, clock: Clock) -> bytes:
    """The workbook's bytes: 总览 (counts and 完成率), 各单位, 措施清单 (after the filters)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    def when(moment: Any) -> str:
        return f"{clock.local(moment):%Y-%m-%d %H:%M}" if moment else ""

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "总览"
    _append(sheet, (f"{overview.round_code} 整改总览（截至{overview.today.isoformat()}）",))
    sheet["A1"].font = Font(bold=True, size=14)
    _append(sheet, ("问题", overview.problems))
    for key, label in COUNTS.items():
        _append(sheet, (label, overview.counts[key]))
    _append(sheet, ("完成率（%）", float(overview.completion_rate)))
    if overview.filters:
        _append(sheet, ("筛选", "，".join(f"{k}={v}" for k, v in overview.filters.items())))

    units = workbook.create_sheet("各单位")
    _append(units, UNIT_HEADERS)
    for row in overview.units:
        _append(
            units,
            (
                row.name,
                row.lead,
                row.co,
                row.done,
                row.overdue,
                row.missing,
                row.lights["green"],
                row.lights["yellow"],
                row.lights["red"],
                row.escalation,
                when(row.last_report),
                "、".join(row.members),
            ),
        )

    measures = workbook.create_sheet("措施清单")
    _append(measures, MEASURE_HEADERS)
    for view in overview.measures:
        _append(
            measures,
            (
                view.code,
                view.problem_ordinal,
                view.measure_text,
                view.lead_unit or "",
                "、".join(view.co_units),
                view.deadline.isoformat() if view.deadline else "长期坚持",
                STATUS_LABEL[view.status],
                STATE_LABEL[view.state],
                LIGHT_LABEL[view.light],
                when(view.last_report_at),
            ),
        )
    for ws in (units, measures):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
