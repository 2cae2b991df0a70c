"""A round's rankings as an Excel workbook: one sheet per period, and one of every deduction and 加减分."""

from __future__ import annotations

import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from models.assessment import Ranking
from models.assessment_formula import RULE_LABEL
from models.assessment_notice import RANKING_HEADERS, ranking_row

DETAIL_SHEET = "扣分及加减分明细"
DETAIL_HEADERS = ("考评期", "单位", "类别", "措施", "日期", "规则或理由", "分值", "说明或记录人")
WIDTHS = {"名次": 10, "单位": 20, "说明或记录人": 60, "规则或理由": 22, "措施": 12, "日期": 12}


def ranking_workbook(rankings: Sequence[Ranking], timezone: str, *, stored: Sequence[bool] = ()) -> bytes:
    """The workbook's bytes: a sheet per ranking (named by its period), then the detail sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    details: list[tuple[str, ...]] = []
    for index, ranking in enumerate(rankings):
        sheet = workbook.create_sheet(ranking.period.label)
        kept = stored[index] if index < len(stored) else False
        sheet.append([f"{ranking.round_code} {ranking.period.title} 考评排名"])
        sheet.append(
            [
                f"{ranking.formula_name}（{ranking.formula_version}）；{'已封存' if kept else '即时计算，未封存'}"
            ]
        )
        sheet.append(list(RANKING_HEADERS))
        for cell in sheet[3]:
            cell.font = bold
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
        for score in ranking.scores:
            for line in score.lines:
                if line.points < 0 or line.rule in ("cap", "floor", "ceiling"):
                    details.append(
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
                details.append(
                    (
                        ranking.period.label,
                        score.name,
                        "加减分",
                        "—",
                        adjustment.at.astimezone(ZoneInfo(timezone)).date().isoformat(),
                        adjustment.reason,
                        str(adjustment.points),
                        adjustment.actor,
                    )
                )
    sheet = workbook.create_sheet(DETAIL_SHEET)
    sheet.append(list(DETAIL_HEADERS))
    for cell in sheet[1]:
        cell.font = bold
    for row in details:
        sheet.append(list(row))
    for column, header in zip("ABCDEFGH", DETAIL_HEADERS, strict=True):
        sheet.column_dimensions[column].width = WIDTHS.get(header, 12)
        for cell in sheet[column][1:]:
            cell.alignment = Alignment(wrap_text=header == "说明或记录人", vertical="top")
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
