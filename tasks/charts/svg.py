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
# Served alone (``….svg``) a chart names its font; on a page the stylesheet's wins.
FONT = 'font-family="Noto Sans CJK SC, Source Han Sans SC, sans-serif" font-size="13"'


def _frame(title: str, rows: int, body: list[str]) -> str:
    height = ROW * rows + 36
    width = LABEL_WIDTH + BAR_WIDTH + 90
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" {FONT} aria-label="{escape(title)}">'
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


TREND_COLOURS = {"done": "#1f6feb", "overdue": "#c62828", "missing": "#f9a825"}
TREND_WIDTH, TREND_HEIGHT, TREND_LEFT, TREND_TOP, TREND_PLOT = 640, 260, 44, 52, 160


def labelled_weeks(count: int, most: int = 12) -> set[int]:
    """The indexes of the weeks whose label is written: about ``most``, evenly, the current week always
    (its neighbour gives way when they would touch)."""
    every = max(1, -(-count // most))
    labelled = set(range(0, count, every))
    if count and count - 1 not in labelled:
        if count - 1 - max(labelled) <= every / 2:
            labelled.discard(max(labelled))
        labelled.add(count - 1)
    return labelled


def trend_svg(
    weeks: Sequence[tuple[str, dict[str, int]]],
    series: dict[str, str],
    title: str = "每周趋势：已完成、逾期、未按期报送",
) -> str:
    """A line per series (key → Chinese name, drawn in ``TREND_COLOURS``) over the weeks, each week
    labelled (at most about twelve labels) and each point titled with its series, week and count."""
    most = max((counts.get(key, 0) for _, counts in weeks for key in series), default=0) or 1
    plot_width = TREND_WIDTH - TREND_LEFT - 20
    step = plot_width / max(1, len(weeks) - 1)
    bottom = TREND_TOP + TREND_PLOT

    def x(index: int) -> float:
        return round(TREND_LEFT + (index * step if len(weeks) > 1 else plot_width / 2), 1)

    def y(count: int) -> float:
        return round(bottom - TREND_PLOT * count / most, 1)

    body = [
        f'<line x1="{TREND_LEFT}" y1="{bottom}" x2="{TREND_WIDTH - 20}" y2="{bottom}" stroke="#57606a"/>',
        f'<line x1="{TREND_LEFT}" y1="{TREND_TOP}" x2="{TREND_LEFT}" y2="{bottom}" stroke="#57606a"/>',
        f'<text x="{TREND_LEFT - 6}" y="{TREND_TOP + 5}" text-anchor="end">{most}</text>',
        f'<text x="{TREND_LEFT - 6}" y="{bottom + 5}" text-anchor="end">0</text>',
    ]
    legend_x = 0
    for key, name in series.items():
        colour = TREND_COLOURS.get(key, "#57606a")
        body.append(
            f'<rect x="{legend_x}" y="26" width="14" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 18}" y="36">{escape(name)}</text>'
        )
        legend_x += 30 + 14 * len(name)
        points = " ".join(f"{x(i)},{y(counts.get(key, 0))}" for i, (_, counts) in enumerate(weeks))
        if len(weeks) > 1:
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for index, (label, counts) in enumerate(weeks):
            count = counts.get(key, 0)
            body.append(
                f'<circle cx="{x(index)}" cy="{y(count)}" r="3" fill="{colour}">'
                f"<title>{escape(name)} {escape(label)}周 {count}项</title></circle>"
            )
    labelled = labelled_weeks(len(weeks))
    for index, (label, _) in enumerate(weeks):
        if index in labelled:
            body.append(f'<text x="{x(index)}" y="{bottom + 18}" text-anchor="middle">{escape(label)}</text>')
    body.append(f'<text x="{TREND_WIDTH - 20}" y="{bottom + 36}" text-anchor="end">周（周一）</text>')
    return (
        f'<svg class="chart trend" xmlns="http://www.w3.org/2000/svg" width="{TREND_WIDTH}" '
        f'height="{TREND_HEIGHT}" viewBox="0 0 {TREND_WIDTH} {TREND_HEIGHT}" role="img" {FONT} '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<text x="0" y="16" font-weight="600">{escape(title)}</text>' + "".join(body) + "</svg>"
    )
