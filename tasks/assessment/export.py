"""A round's rankings as an Excel workbook: one sheet per period, and one of every deduction and 加减分."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from models.assessment import Ranking
from models.assessment_formula import RULE_LABEL
from models.assessment_notice import RANKING_HEADERS, ranking_row

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

DETAIL_SHEET = "扣分及加减分明细"
DETAIL_HEADERS = ("考评期", "单位", "类别", "措施", "日期", "规则或理由", "分值", "说明或记录人")
WIDTHS = {"名次": 10, "单位": 20, "说明或记录人": 60, "规则或理由": 22, "措施": 12, "日期": 12}
ADJUSTING = ("cap", "floor", "ceiling")


def ranking_workbook(rankings: Sequence[Ranking], timezone: str, *, stored: Sequence[bool] = ()) -> bytes:
    """The workbook's bytes: a sheet per ranking (named by its period), then the detail sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    details: list[tuple[str, ...]] = []
    for index, ranking in enumerate(rankings):
        _ranking_sheet(workbook, ranking, stored[index] if index < len(stored) else False)
        details += detail_rows(ranking, timezone)
    _detail_sheet(workbook, details)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _ranking_sheet(workbook: Workbook, ranking: Ranking, kept: bool) -> None:
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(ranking.period.label)
    sheet.append([f"{ranking.round_code} {ranking.period.title} 考评排名"])
    sheet.append(
        [f"{ranking.formula_name}（{ranking.formula_version}）；{'已封存' if kept else '即时计算，未封存'}"]
    )
    sheet.append(list(RANKING_HEADERS))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for score in ranking.ranked:
        sheet.append(list(ranking_row(score)))
    for score in ranking.scores:
        if not score.ranked:
            sheet.append(["—", score.name, "", "", "", "", str(score.asked), score.unranked_reason])
    for note in ranking.notes:
        sheet.append([note])
    for column, header in zip("ABCDEFGH", RANKING_HEADERS, strict=True):
        sheet.column_dimensions[column].width = WIDTHS.get(header, 10)
    sheet.freeze_panes = "A4"


def detail_rows(ranking: Ranking, timezone: str) -> list[tuple[str, ...]]:
    """Every deduction line (and cap or floor) and every 加减分 of a ranking, as the detail sheet lists them."""
    zone = ZoneInfo(timezone)
    rows: list[tuple[str, ...]] = []
    for score in ranking.scores:
        for line in score.lines:
            if line.points < 0 or line.rule in ADJUSTING:
                rows.append(
                    (
                        ranking.period.label,
                        score.name,
                        "扣分",
                        line.measure_code or "—",
                        line.day.isoformat(),
                        RULE_LABEL[line.rule],
                        str(line.points),
                        line.detail,
                    )
                )
        for adjustment in score.adjustments:
            day = adjustment.at.astimezone(zone).date().isoformat()
            rows.append(
                (
                    ranking.period.label,
                    score.name,
                    "加减分",
                    "—",
                    day,
                    adjustment.reason,
                    str(adjustment.points),
                    adjustment.actor,
                )
            )
    return rows


def _detail_sheet(workbook: Workbook, rows: Sequence[tuple[str, ...]]) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = workbook.create_sheet(DETAIL_SHEET)
    sheet.append(list(DETAIL_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for column, header in zip("ABCDEFGH", DETAIL_HEADERS, strict=True):
        sheet.column_dimensions[column].width = WIDTHS.get(header, 12)
        for cell in sheet[column][1:]:
            cell.alignment = Alignment(wrap_text=header == "说明或记录人", vertical="top")
    sheet.freeze_panes = "A2"
