"""A horizontal bar chart as PNG bytes, drawn with Pillow, its Chinese text in a CJK font fontconfig finds.

Documents ask for the font the way the PDF does: a family name (黑体) resolved through a fontconfig
file (``tasks/notice/fonts.conf`` maps it to Noto Sans CJK SC), so the chart's labels look like the
notice around it. Rendering returns bytes; writing them is the caller's business.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from models.errors import ChartUnavailable

if TYPE_CHECKING:
    from PIL import ImageFont

FONT_HINT = "apt-get install fontconfig fonts-noto-cjk"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value and its fill colour (``#rrggbb``)."""

    label: str
    value: float
    fill: str
    note: str = ""  # printed after the value (e.g. 红榜)


@dataclass(frozen=True)
class Legend:
    """A swatch and its words under the chart."""

    fill: str
    text: str


@lru_cache(maxsize=16)
def find_font(family: str, fontconfig_file: Path | None = None) -> tuple[str, int]:
    """(file, face index) of ``family`` as fontconfig resolves it, with ``fontconfig_file`` when given."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise ChartUnavailable(f"charts need fontconfig to find the CJK fonts: {FONT_HINT}")
    env = dict(os.environ)
    if fontconfig_file is not None:
        env["FONTCONFIG_FILE"] = str(Path(fontconfig_file).resolve())
    found = subprocess.run(
        [fc_match, "-f", "%{file}|%{index}|%{lang}", family],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=30,
    )
    path, _, rest = found.stdout.partition("|")
    index, _, langs = rest.partition("|")
    if found.returncode != 0 or not path or "zh-cn" not in langs.split("|"):
        raise ChartUnavailable(f"no font with Chinese glyphs for '{family}': {FONT_HINT}")
    return path, int(index or 0)


def chart_font(family: str, fontconfig_file: Path | None, size: int) -> ImageFont.FreeTypeFont:
    """The font fontconfig resolves for ``family``, at ``size`` pixels."""
    from PIL import ImageFont

    path, index = find_font(family, fontconfig_file)
    return ImageFont.truetype(path, size=size, index=index)


def bar_chart_png(
    bars: Sequence[Bar],
    *,
    title: str,
    legend: Sequence[Legend] = (),
    family: str = "Noto Sans CJK SC",
    fontconfig_file: Path | None = None,
    width: int = 1600,
    scale_from: float | None = None,
) -> bytes:
    """The bars top to bottom, longest scale first; ``scale_from`` is where the axis starts (default 0,
    or just below the smallest value when every value is far from 0, so differences stay visible)."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:  # pragma: no cover - a dependency
        raise ChartUnavailable("charts need Pillow (pip install pillow)") from None
    text = chart_font(family, fontconfig_file, 30)
    small = chart_font(family, fontconfig_file, 26)
    heading = chart_font(family, fontconfig_file, 38)
    row, top, bottom = 56, 110, 70 + (50 if legend else 0)
    height = top + max(1, len(bars)) * row + bottom
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((width / 2, 30), title, font=heading, fill="#000000", anchor="mt")
    label_width = max([int(draw.textlength(b.label, font=text)) for b in bars] + [120]) + 30
    values = [b.value for b in bars] or [0.0]
    low = scale_from if scale_from is not None else _axis_start(min(values), max(values))
    high = max([*values, low + 1])
    span = high - low or 1.0
    left, right = label_width, width - 190
    draw.line([(left, top - 10), (left, top + len(bars) * row)], fill="#000000", width=2)
    for index, bar in enumerate(bars):
        y = top + index * row
        draw.text((left - 15, y + row / 2), bar.label, font=text, fill="#000000", anchor="rm")
        length = max(0.0, (bar.value - low) / span) * (right - left)
        draw.rectangle([(left, y + 10), (left + length, y + row - 10)], fill=bar.fill)
        shown = f"{bar.value:g}" + (f" {bar.note}" if bar.note else "")
        draw.text((left + length + 12, y + row / 2), shown, font=small, fill="#000000", anchor="lm")
    axis_y = top + len(bars) * row + 8
    for tick in _ticks(low, high):
        x = left + (tick - low) / span * (right - left)
        draw.line([(x, axis_y - 6), (x, axis_y)], fill="#000000", width=2)
        draw.text((x, axis_y + 4), f"{tick:g}", font=small, fill="#444444", anchor="mt")
    x = left
    for item in legend:
        draw.rectangle([(x, height - 50), (x + 30, height - 22)], fill=item.fill)
        draw.text((x + 40, height - 36), item.text, font=small, fill="#000000", anchor="lm")
        x += 60 + int(draw.textlength(item.text, font=small))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _axis_start(low: float, high: float) -> float:
    if low <= 0 or high - low > low / 2:
        return 0.0
    step = 10.0
    return max(0.0, (low // step) * step - step)


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000) if span / s <= 8)
    first = (low // step) * step
    ticks = []
    value = first if first >= low else first + step
    while value <= high + 1e-9:
        ticks.append(value)
        value += step
    return ticks
