"""Charts as inline SVG for the desk's pages: horizontal bars with their Chinese labels as text.

Pure string building (no JavaScript, nothing from another host); every text is XML-escaped here, so the
page may insert the result as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

ROW = 26
LABEL_WIDTH = 220
BAR_WIDTH = 360
COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828", "done": "#1f6feb", "rest": "#d0d7de"}
LIGHT_WORD = {"green": "绿", "yellow": "黄", "red": "红"}


def _frame(title: str, rows: int, body: list[str]) -> str:
    height = ROW * rows + 36
    width = LABEL_WIDTH + BAR_WIDTH + 90
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f'<title>{escape(title)}</title><text x="0" y="16" font-weight="600">{escape(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def _label(text: str, y: int) -> str:
    short = text if len(text) <= 16 else text[:15] + "…"
    return f'<text x="0" y="{y + 15}">{escape(short)}</text>'


def completion_svg(rows: Sequence[tuple[str, int, int]], title: str = "各问题完成情况") -> str:
    """Completion by problem: per row (label, done, total) a bar of done over total and ``done/total``."""
    body = []
    for index, (label, done, total) in enumerate(rows):
        y = 28 + index * ROW
        share = done / total if total else 0.0
        filled = round(BAR_WIDTH * share)
        body.append(_label(label, y))
        body.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{BAR_WIDTH}" height="16" fill="{COLOURS["rest"]}"/>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{filled}" height="16" fill="{COLOURS["done"]}"/>'
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{y + 15}">{done}/{total}</text>'
        )
    return _frame(title, len(rows), body)


def lights_svg(rows: Sequence[tuple[str, dict[str, int]]], title: str = "各单位红黄绿灯") -> str:
    """Lights by unit: per row (unit name, counts by light) a stacked bar, each part titled 绿/黄/红 N."""
    most = max((sum(counts.values()) for _, counts in rows), default=0) or 1
    body = []
    for index, (label, counts) in enumerate(rows):
        y = 28 + index * ROW
        body.append(_label(label, y))
        x = LABEL_WIDTH
        words = []
        for light in ("green", "yellow", "red"):
            count = counts.get(light, 0)
            if not count:
                continue
            width = round(BAR_WIDTH * count / most)
            body.append(
                f'<rect x="{x}" y="{y + 3}" width="{width}" height="16" fill="{COLOURS[light]}">'
                f"<title>{LIGHT_WORD[light]}{count}</title></rect>"
            )
            x += width
            words.append(f"{LIGHT_WORD[light]}{count}")
        body.append(f'<text x="{x + 8}" y="{y + 15}">{escape(" ".join(words))}</text>')
    return _frame(title, len(rows), body)
