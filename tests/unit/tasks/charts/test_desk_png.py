"""The desk's charts as PNG (tasks.charts.desk_png): they decode, have their documented size, and their
Chinese labels are drawn as glyphs in the PDF's CJK font, not as missing-glyph boxes (tofu)."""

from __future__ import annotations

import io

from PIL import Image, ImageChops

from tasks.charts.desk_png import (
    ROW,
    TOP,
    TREND_HEIGHT,
    WIDTH,
    bars_height,
    completion_png,
    lights_png,
    trend_png,
)

SERIES = {"done": "已完成", "overdue": "逾期", "missing": "未按期报送"}


def decoded(content: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(content))
    picture.load()
    assert picture.format == "PNG"
    return picture.convert("L")


def label_box(content: bytes) -> Image.Image:
    """The first row's label, left of the bars."""
    return decoded(content).crop((0, TOP, 320, TOP + ROW))


def ink(picture: Image.Image) -> int:
    return sum(picture.histogram()[:128])


def test_bar_charts_are_as_high_as_their_rows_and_the_trend_is_fixed() -> None:
    assert decoded(completion_png([("甲", 1, 2), ("乙", 0, 3), ("丙", 3, 3)])).size == (WIDTH, bars_height(3))
    assert decoded(lights_png([("街道甲", {"green": 2, "red": 1})])).size == (WIDTH, bars_height(1))
    assert decoded(completion_png([])).size == (WIDTH, bars_height(1))
    weeks = [
        ("10/16", {"done": 0, "overdue": 1, "missing": 2}),
        ("10/23", {"done": 1, "overdue": 0, "missing": 1}),
    ]
    assert decoded(trend_png(weeks, SERIES)).size == (WIDTH, TREND_HEIGHT)
    assert decoded(trend_png([], SERIES)).size == (WIDTH, TREND_HEIGHT)


def test_chinese_labels_are_glyphs_not_tofu() -> None:
    blank = label_box(completion_png([("", 1, 2)]))
    rectify = label_box(completion_png([("整改落实", 1, 2)]))
    supervise = label_box(completion_png([("督办催办", 1, 2)]))
    assert ink(blank) == 0 and ink(rectify) > 200 and ink(supervise) > 200
    # A font without Chinese draws every character as the same box: two different labels would match.
    assert ImageChops.difference(rectify, supervise).getbbox() is not None
    # Nor is a character its box: 一 has far less ink than 疆 in a real CJK font; boxes have the same.
    one, many = (ink(label_box(completion_png([(text, 1, 2)]))) for text in ("一", "疆"))
    assert many > 2 * one
