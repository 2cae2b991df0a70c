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
