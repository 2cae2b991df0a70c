"""The desk's charts as PNG for documents: completion by problem, lights by unit, the weekly trend.

The same rows as the SVG on the desk's pages (``tasks.charts.svg``), drawn with Pillow in the CJK font the
PDF notice uses (黑体 through ``tasks/notice/fonts.conf``, as the ranking chart). Rendering returns bytes;
writing them is the caller's business.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from models.errors import ChartUnavailable
from tasks.charts.bars import chart_font
from tasks.charts.svg import COLOURS, LIGHT_WORD, TREND_COLOURS, labelled_weeks
from tasks.notice.pdf import FONTCONFIG_FILE

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

CHART_FONT = "黑体"
WIDTH = 1200  # about 190 dpi across an A4 page's 156 mm of text
ROW, TOP, BOTTOM = 36, 84, 30  # a bar chart is TOP + ROW × rows + BOTTOM pixels high
TREND_HEIGHT = 540


def bars_height(rows: int) -> int:
    """The height in pixels of a bar chart of ``rows`` rows (at least one)."""
    return TOP + ROW * max(1, rows) + BOTTOM


def _fonts() -> tuple[ImageFont.FreeTypeFont, ImageFont.FreeTypeFont, ImageFont.FreeTypeFont]:
    return (
        chart_font(CHART_FONT, FONTCONFIG_FILE, 21),
        chart_font(CHART_FONT, FONTCONFIG_FILE, 18),
        chart_font(CHART_FONT, FONTCONFIG_FILE, 27),
    )


def _canvas(height: int, title: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    try:
        from PIL import Image, ImageDraw
    except ImportError:  # pragma: no cover - a dependency
        raise ChartUnavailable("charts need Pillow (pip install pillow)") from None
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((WIDTH / 2, 18), title, font=_fonts()[2], fill="#000000", anchor="mt")
    return image, draw


def _png(image: Image.Image) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    # A palette of the few colours drawn keeps a chart small and quick to write (an adaptive palette or
    # a full-colour PNG takes two to three times as long on a long chart).
    image.quantize(colors=64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        buffer, format="PNG", compress_level=6
    )
    return buffer.getvalue()


def _fit(draw: ImageDraw.ImageDraw, label: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """The label, cut with … to fit ``width`` pixels."""
    if draw.textlength(label, font=font) <= width:
        return label
    while label and draw.textlength(label + "…", font=font) > width:
        label = label[:-1]
    return label + "…"


def _legend(draw: ImageDraw.ImageDraw, items: Sequence[tuple[str, str]], y: int) -> None:
    small = _fonts()[1]
    x = 40
    for fill, text in items:
        draw.rectangle([(x, y), (x + 22, y + 18)], fill=fill)
        draw.text((x + 30, y + 9), text, font=small, fill="#000000", anchor="lm")
        x += 56 + int(draw.textlength(text, font=small))


def completion_png(rows: Sequence[tuple[str, int, int]], title: str = "各问题完成情况") -> bytes:
    """Completion by problem: per row (label, done, total) a bar of done over total, and ``done/total``."""
    text, small, _ = _fonts()
    image, draw = _canvas(bars_height(len(rows)), title)
    _legend(draw, [(COLOURS["done"], "已完成"), (COLOURS["rest"], "未完成")], 50)
    left, right = 330, WIDTH - 120
    for index, (label, done, total) in enumerate(rows):
        y = TOP + index * ROW
        draw.text(
            (left - 14, y + ROW / 2),
            _fit(draw, label, text, left - 24),
            font=text,
            fill="#000000",
            anchor="rm",
        )
        draw.rectangle([(left, y + 6), (right, y + ROW - 6)], fill=COLOURS["rest"])
        share = done / total if total else 0.0
        if share:
            draw.rectangle(
                [(left, y + 6), (left + share * (right - left), y + ROW - 6)], fill=COLOURS["done"]
            )
        draw.text((right + 12, y + ROW / 2), f"{done}/{total}", font=small, fill="#000000", anchor="lm")
    return _png(image)


def lights_png(rows: Sequence[tuple[str, dict[str, int]]], title: str = "各单位红黄绿灯") -> bytes:
    """Lights by unit: per row (unit name, counts by light) a stacked bar and its 绿N 黄N 红N."""
    text, small, _ = _fonts()
    image, draw = _canvas(bars_height(len(rows)), title)
    _legend(draw, [(COLOURS[light], f"{word}灯") for light, word in LIGHT_WORD.items()], 50)
    most = max((sum(counts.values()) for _, counts in rows), default=0) or 1
    left, right = 330, WIDTH - 200
    for index, (label, counts) in enumerate(rows):
        y = TOP + index * ROW
        draw.text(
            (left - 14, y + ROW / 2),
            _fit(draw, label, text, left - 24),
            font=text,
            fill="#000000",
            anchor="rm",
        )
        x = float(left)
        words = []
        for light, word in LIGHT_WORD.items():
            count = counts.get(light, 0)
            if not count:
                continue
            width = (right - left) * count / most
            draw.rectangle([(x, y + 6), (x + width, y + ROW - 6)], fill=COLOURS[light])
            x += width
            words.append(f"{word}{count}")
        draw.text((x + 12, y + ROW / 2), " ".join(words), font=small, fill="#000000", anchor="lm")
    return _png(image)


def trend_png(
    weeks: Sequence[tuple[str, dict[str, int]]],
    series: dict[str, str],
    title: str = "每周趋势：已完成、逾期、未按期报送",
) -> bytes:
    """The weekly trend: a line per series (key → Chinese name) over the weeks, labelled on the axis."""
    _text, small, _ = _fonts()
    image, draw = _canvas(TREND_HEIGHT, title)
    _legend(draw, [(TREND_COLOURS.get(key, "#57606a"), name) for key, name in series.items()], 56)
    left, right, top, bottom = 90, WIDTH - 50, 100, TREND_HEIGHT - 70
    most = max((counts.get(key, 0) for _, counts in weeks for key in series), default=0) or 1
    draw.line([(left, top), (left, bottom), (right, bottom)], fill="#57606a", width=2)
    for value in (0, most // 2, most):
        y = bottom - (bottom - top) * value / most
        draw.line([(left - 8, y), (left, y)], fill="#57606a", width=2)
        draw.text((left - 14, y), str(value), font=small, fill="#000000", anchor="rm")
    step = (right - left) / max(1, len(weeks) - 1)

    def point(index: int, count: int) -> tuple[float, float]:
        x = left + (index * step if len(weeks) > 1 else (right - left) / 2)
        return x, bottom - (bottom - top) * count / most

    for key in series:
        colour = TREND_COLOURS.get(key, "#57606a")
        points = [point(i, counts.get(key, 0)) for i, (_, counts) in enumerate(weeks)]
        if len(points) > 1:
            draw.line(points, fill=colour, width=3, joint="curve")
        for x, y in points:
            draw.ellipse([(x - 5, y - 5), (x + 5, y + 5)], fill=colour)
    labelled = labelled_weeks(len(weeks))
    for index, (label, _) in enumerate(weeks):
        if index in labelled:
            x, _y = point(index, 0)
            draw.text((x, bottom + 10), label, font=small, fill="#000000", anchor="mt")
    draw.text((right, bottom + 40), "周（周一）", font=small, fill="#444444", anchor="rt")
    return _png(image)
