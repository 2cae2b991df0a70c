"""The ranking notice (考评通报) as a typed document, and the 黑榜 sentence the progress notice may carry.

Built from a ``Ranking`` without I/O; renderers (``tasks/notice/ranking.py``) lay it out in the progress
notice's GB/T 9704 layout and never compute content. The lists are named in words and drawn in colours
that are not the traffic light's: 红榜 is good news, 红灯 is not.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from models.assessment import LIST_LABEL, ListKind, Period, Ranking, UnitScore
from models.assessment_formula import format_points, format_score
from models.notice import Run, RunStyle
from models.rules import format_chinese_date

RANKING_HEADERS = ("名次", "单位", "总分", "基础分", "加减分", "较上期", "考评事项", "榜单")
# Not the traffic light's red, yellow or green: a deep blue commends, charcoal names, grey-blue the rest.
LIST_FILL = {ListKind.RED: "#1F4E9A", ListKind.BLACK: "#333333", None: "#9AAFC7"}
LIST_LEGEND = (
    (LIST_FILL[ListKind.RED], "红榜"),
    (LIST_FILL[ListKind.BLACK], "黑榜"),
    (LIST_FILL[None], "其他单位"),
)
DEFAULT_CLOSING = (
    "请各单位对照考评结果查找差距、补齐短板。列入红榜的单位要保持标准、再接再厉；"
    "列入黑榜的单位要认真分析原因，明确整改措施和时限，切实扭转被动局面。"
)


class PartKind(enum.StrEnum):
    """What a part of the ranking notice is; renderers choose its layout by it."""

    HEADING = "heading"  # 一、考评排名 (黑体)
    BODY = "body"
    TABLE = "table"
    CHART = "chart"


@dataclass(frozen=True)
class Part:
    """A paragraph (runs), the ranking table (headers, rows) or the chart (caption)."""

    kind: PartKind
    runs: tuple[Run, ...] = ()
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    caption: str = ""

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass(frozen=True)
class ChartBar:
    """A unit's bar: its name, its total and its list (the bar's colour)."""

    name: str
    total: Decimal
    list: ListKind | None

    @property
    def fill(self) -> str:
        return LIST_FILL[self.list]

    @property
    def note(self) -> str:
        return LIST_LABEL[self.list] if self.list else ""


@dataclass(frozen=True)
class RankingNotice:
    """The whole ranking notice."""

    round_code: str
    period_label: str
    issuer: str
    title: str
    parts: tuple[Part, ...]
    chart_title: str
    bars: tuple[ChartBar, ...]
    signature: str | None
    date_line: str | None


def ranking_row(score: UnitScore) -> tuple[str, ...]:
    """A ranked unit as the table prints it."""
    return (
        f"{score.rank}" + ("（并列）" if score.tied else ""),
        score.name,
        format_score(score.total),
        format_score(score.base_score),
        format_points(score.adjustment) if score.adjustment else "—",
        format_points(score.change) if score.change is not None else "—",
        str(score.asked),
        LIST_LABEL[score.list] if score.list else "",
    )


def _names(scores: list[UnitScore]) -> str:
    return "、".join(f"{s.name}（{s.list_reason}）" for s in scores)


def build_ranking_notice(
    ranking: Ranking,
    *,
    issuer: str,
    as_of: date,
    list_rules: list[str],
    signature: str | None = None,
) -> RankingNotice:
    """The 考评通报 of a ranking: why and how, the table, the lists, the chart, the closing."""
    period = ranking.period.title
    ranked = ranking.ranked
    red, black = ranking.on_list(ListKind.RED), ranking.on_list(ListKind.BLACK)
    average = sum((s.total for s in ranked), Decimal(0)) / len(ranked) if ranked else Decimal(0)

    def body(*runs: Run) -> Part:
        return Part(PartKind.BODY, runs)

    parts = [
        body(
            Run(
                f"根据《{ranking.formula_name}》（{ranking.formula_version}），依据整改台账记录的进展报送、完成时限、"
                f"督办和审核情况，对各责任单位{period}整改工作进行了考评。现将考评情况通报如下。"
            )
        ),
        Part(PartKind.HEADING, (Run("一、考评排名", RunStyle.HEADING),)),
        body(
            Run(
                f"本期参与排名单位{len(ranked)}个，平均得分{format_score(average)}分；"
                f"列入红榜{len(red)}个、黑榜{len(black)}个。排名情况见下表。"
            )
        ),
        Part(PartKind.TABLE, headers=RANKING_HEADERS, rows=tuple(ranking_row(s) for s in ranked)),
    ]
    for note in ranking.notes:
        parts.append(body(Run(note)))
    others = [s for s in ranking.scores if not s.ranked and s.asked]
    if others:
        parts.append(
            body(Run("未参与排名：" + "；".join(f"{s.name}（{s.unranked_reason}）" for s in others) + "。"))
        )
    parts.append(Part(PartKind.HEADING, (Run("二、红榜和黑榜", RunStyle.HEADING),)))
    parts.append(body(Run("红榜：", RunStyle.LABEL), Run((_names(red) or "本期无") + "。")))
    parts.append(body(Run("黑榜：", RunStyle.LABEL), Run((_names(black) or "本期无") + "。")))
    parts.append(body(Run("评定规则：", RunStyle.LABEL), Run("".join(list_rules))))
    parts.append(Part(PartKind.HEADING, (Run("三、得分情况", RunStyle.HEADING),)))
    parts.append(Part(PartKind.CHART, caption=f"图1 {period}各单位考评得分"))
    parts.append(body(Run(DEFAULT_CLOSING)))
    return RankingNotice(
        round_code=ranking.round_code,
        period_label=ranking.period.label,
        issuer=issuer,
        title=f"关于{period}整改工作考评情况的通报",
        parts=tuple(parts),
        chart_title=f"{period}各单位考评得分",
        bars=tuple(ChartBar(s.name, s.total, s.list) for s in ranked),
        signature=signature.strip() if signature else None,
        date_line=format_chinese_date(as_of) if signature else None,
    )


def blacklist_sentence(period: Period, names: Sequence[str]) -> str | None:
    """The progress notice's paragraph naming the units on a period's 黑榜 (None when nobody is on it)."""
    if not names:
        return None
    return (
        f"在{period.title}整改工作考评中，{'、'.join(names)}列入黑榜，"
        "请上述单位认真分析原因、限期整改，确保整改任务按时保质完成。"
    )
