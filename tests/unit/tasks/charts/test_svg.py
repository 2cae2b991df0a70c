"""The desk's inline SVG charts: Chinese labels as text, counts written beside the colours, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tasks.charts.svg import completion_svg, lights_svg

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_completion_by_problem_is_bars_with_chinese_labels_and_counts() -> None:
    svg = completion_svg([("市容环境秩序管理不到位", 3, 5), ("执法队伍作风建设有差距", 0, 2)])
    assert texts(svg) == ["各问题完成情况", "市容环境秩序管理不到位", "3/5", "执法队伍作风建设有差距", "0/2"]
    widths = [r.get("width") for r in ET.fromstring(svg).iter(f"{SVG}rect")]
    assert widths == ["360", "216", "360", "0"]


def test_lights_by_unit_write_each_light_beside_its_colour_and_escape_text() -> None:
    svg = lights_svg([("<街道>&甲", {"green": 2, "yellow": 1, "red": 1}), ("乙", {"green": 0})])
    assert "<街道>" not in svg and "&lt;街道&gt;&amp;甲" in svg
    assert texts(svg) == ["各单位红黄绿灯", "<街道>&甲", "绿2 黄1 红1", "乙", ""]
    fills = [r.get("fill") for r in ET.fromstring(svg).iter(f"{SVG}rect")]
    assert fills == ["#2e7d32", "#f9a825", "#c62828"]


def test_the_weekly_trend_is_a_line_per_series_with_its_weeks_named() -> None:
    from tasks.charts.svg import labelled_weeks, trend_svg

    series = {"done": "已完成", "overdue": "逾期", "missing": "未按期报送"}
    weeks = [(f"{m}/1", {"done": m, "overdue": 1, "missing": 0}) for m in range(1, 4)]
    svg = trend_svg(weeks, series)
    root = ET.fromstring(svg)
    assert [p.get("stroke") for p in root.iter(f"{SVG}polyline")] == ["#1f6feb", "#c62828", "#f9a825"]
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "已完成 3/1周 3项" in titles and "逾期 1/1周 1项" in titles
    assert {"已完成", "逾期", "未按期报送", "1/1", "2/1", "3/1"} <= set(texts(svg))
    assert "<script" not in svg and 'font-family="Noto Sans CJK SC' in svg
    one = ET.fromstring(trend_svg(weeks[:1], series))  # one week: points, no line
    assert not list(one.iter(f"{SVG}polyline")) and len(list(one.iter(f"{SVG}circle"))) == 3
    # About twelve labels however long the round; the current week always, its neighbour giving way.
    assert labelled_weeks(3) == {0, 1, 2}
    assert labelled_weeks(14) == {0, 2, 4, 6, 8, 10, 13}
    assert len(labelled_weeks(60)) <= 13 and 59 in labelled_weeks(60)
