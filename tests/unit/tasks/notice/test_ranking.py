"""The ranking notice (考评通报) as Markdown and HTML: report-proof escaping and bold that CommonMark shows."""

from __future__ import annotations

from models.assessment_notice import Part, PartKind, RankingNotice
from models.notice import Run, RunStyle
from tasks.notice.ranking import ranking_html, ranking_markdown


def _notice(unit: str = "局办公室") -> RankingNotice:
    return RankingNotice(
        round_code="xinhua-2023-xc2",
        period_label="2023-W52",
        issuer="中共新华区城市管理综合行政执法局党组",
        title="关于2023年第52周整改工作考评情况的通报",
        parts=(
            Part(PartKind.HEADING, (Run("一、考评排名", RunStyle.HEADING),)),
            Part(PartKind.TABLE, headers=("名次", "单位"), rows=(("1", unit),)),
            Part(PartKind.BODY, (Run("黑榜：", RunStyle.LABEL), Run(f"{unit}（未按期报送2次）。"))),
            Part(PartKind.CHART, caption="图1 2023年第52周各单位考评得分"),
        ),
        chart_title="2023年第52周各单位考评得分",
        bars=(),
        signature="中共新华区城市管理综合行政执法局党组",
        date_line="2023年12月31日",
    )


def _commonmark(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").render(markdown)


def test_commonmark_shows_the_labels_of_the_ranking_notice_as_strong() -> None:
    html = _commonmark(ranking_markdown(_notice(), "chart.png"))
    assert "<strong>黑榜</strong>：局办公室（未按期报送2次）。" in html
    assert "<h2>一、考评排名</h2>" in html
    assert '<img src="chart.png" alt="图1 2023年第52周各单位考评得分" />' in html
    assert "**" not in html


def test_a_unit_name_with_markup_shows_literally() -> None:
    name = "<b>街道</b> *甲* [乙](http://evil) &amp;"
    markdown = ranking_markdown(_notice(name), "chart.png")
    html = _commonmark(markdown)
    assert "<b>" not in html and "<em>" not in html and "<a " not in html
    assert "&lt;b&gt;街道&lt;/b&gt; *甲* [乙](http://evil) &amp;amp;" in html
    assert "&lt;b&gt;街道" in ranking_html(_notice(name), b"")
