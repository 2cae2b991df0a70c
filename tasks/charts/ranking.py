"""The ranking notice's bar chart: each ranked unit's total, coloured by its list (not the traffic light's)."""

from __future__ import annotations

from models.assessment_notice import LIST_LEGEND, RankingNotice
from tasks.charts.bars import Bar, Legend, bar_chart_png
from tasks.notice.pdf import FONTCONFIG_FILE

# The labels in 黑体 as the PDF's fontconfig file maps it (Noto Sans CJK SC), like the notice's headings.
CHART_FONT = "黑体"


def ranking_chart_png(notice: RankingNotice) -> bytes:
    """The bar chart of a 考评通报's totals, as PNG bytes."""
    return bar_chart_png(
        [Bar(bar.name, float(bar.total), bar.fill, bar.note) for bar in notice.bars],
        title=notice.chart_title,
        legend=[Legend(fill, text) for fill, text in LIST_LEGEND],
        family=CHART_FONT,
        fontconfig_file=FONTCONFIG_FILE,
    )
