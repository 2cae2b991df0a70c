"""A ranking and a unit's explanation as plain text (the CLI prints these; docs/assessment.md shows them)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from models.assessment import LIST_LABEL, Ranking, UnitScore
from models.assessment_formula import RULE_LABEL, format_points, format_score


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to the widest cell (CJK characters count two), two spaces apart."""
    widths = [max([_width(h)] + [_width(row[i]) for row in rows]) for i, h in enumerate(headers)]
    out = []
    for row in [list(headers), *rows]:
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
        out.append("  ".join(cells).rstrip())
    return out


def change_text(score: UnitScore) -> str:
    """The change since the previous period: ``+2.5``, ``-1``, ``0``, or ``—`` when it was not ranked."""
    return format_points(score.change) if score.change is not None else "—"


def heading(ranking: Ranking) -> str:
    return (
        f"{ranking.round_code} · {ranking.period.title} · {ranking.formula_name}（{ranking.formula_version}）"
    )


def ranking_text(ranking: Ranking) -> str:
    """The ranking: rank, unit, total, base score, 加减分, change, measures asked, list; then the rest."""
    rows = [
        [
            f"{s.rank}" + ("（并列）" if s.tied else ""),
            s.name,
            format_score(s.total),
            format_score(s.base_score),
            format_points(s.adjustment) if s.adjustment else "—",
            change_text(s),
            str(s.asked),
            LIST_LABEL[s.list] if s.list else "",
        ]
        for s in ranking.ranked
    ]
    lines = [f"考评排名 · {heading(ranking)}"]
    lines += table(["名次", "单位", "总分", "基础分", "加减分", "较上期", "考评事项", "榜单"], rows)
    others = [s for s in ranking.scores if not s.ranked]
    if others:
        lines.append("未参与排名：" + "；".join(f"{s.name}（{s.unranked_reason}）" for s in others))
    lines += [f"说明：{note}" for note in ranking.notes]
    return "\n".join(lines) + "\n"


def explain_text(score: UnitScore, ranking: Ranking, timezone: str) -> str:
    """Every line that moved a unit's score (measure, day, rule, points, why), then its 加减分 apart."""
    standing = (
        f"第{score.rank}名" + ("（并列）" if score.tied else "") if score.rank else score.unranked_reason
    )
    if score.list:
        standing += f" · {LIST_LABEL[score.list]}（{score.list_reason}）"
    lines = [
        f"{score.name}（{score.code}）· {heading(ranking)}",
        f"考评事项 {score.asked} 项 · 基础得分 {format_score(score.base_score)} · 加减分 "
        f"{format_points(score.adjustment)} · 总分 {format_score(score.total)} · {standing}",
    ]
    rows = [
        [
            line.measure_code or "—",
            line.day.isoformat(),
            RULE_LABEL[line.rule],
            format_points(line.points),
            line.detail,
        ]
        for line in score.lines
    ]
    if rows:
        lines += table(["措施", "日期", "规则", "分值", "说明"], rows)
    else:
        lines.append("本期没有加分或扣分的记录。")
    if score.adjustments:
        lines.append("加减分（不计入基础得分）：")
        lines += table(
            ["日期", "分值", "理由", "记录人"],
            [
                [
                    a.at.astimezone(ZoneInfo(timezone)).date().isoformat(),
                    format_points(a.points),
                    a.reason,
                    a.actor,
                ]
                for a in sorted(score.adjustments, key=lambda a: a.at)
            ],
        )
    return "\n".join(lines) + "\n"
