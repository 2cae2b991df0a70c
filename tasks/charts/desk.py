"""The desk's three charts of a round, read from the ledger and drawn as SVG (pages) or PNG (documents).

Completion by problem and lights by unit come from the overview (``tasks.reports.desk.round_overview``),
the weekly trend from the round's history (``tasks.reports.desk_trend.round_trend``); each is drawn from
the same rows in either format, so the page and the document show the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from models.clock import Clock
from models.errors import UnknownChart
from models.trend import TREND_SERIES, WeekPoint
from tasks.reports.desk import Overview, chart_rows
from tasks.reports.desk_memo import overview_of, remembered, trend_of

CHARTS = {
    "completion": "各问题完成情况",
    "lights": "各单位红黄绿灯",
    "trend": "每周趋势：已完成、逾期、未按期报送",
}
FORMATS = ("svg", "png")
MOST_PROBLEMS = 40  # a chart of more problems is not read: the least complete are drawn


@dataclass(frozen=True)
class Chart:
    """A rendered chart: its round, its name (a key of ``CHARTS``), the format and the bytes."""

    round_code: str
    name: str
    format: str
    content: bytes

    @property
    def media_type(self) -> str:
        return "image/svg+xml" if self.format == "svg" else "image/png"

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.round_code}.{self.format}"


def lagging_problems(
    rows: Sequence[tuple[str, int, int]], most: int = MOST_PROBLEMS
) -> tuple[list[tuple[str, int, int]], str]:
    """Completion by problem, at most ``most`` rows: the least complete (by share, then by order) kept in
    their order, and the words the title adds when some were left out (a city round has hundreds)."""
    if len(rows) <= most:
        return list(rows), ""
    ranked = sorted(range(len(rows)), key=lambda i: (rows[i][1] / rows[i][2] if rows[i][2] else 0.0, i))
    kept = sorted(ranked[:most])
    return [rows[i] for i in kept], f"（完成率最低的{most}个问题，共{len(rows)}个）"


def trend_rows(points: Sequence[WeekPoint]) -> list[tuple[str, dict[str, int]]]:
    """The trend as the drawings take it: (week label, count per series) per week."""
    return [(p.label, {key: p.count(key) for key in TREND_SERIES}) for p in points]


def lights_rows(overview: Overview) -> list[tuple[str, dict[str, int]]]:
    """Lights by unit: (unit name, count per light) per unit of the overview."""
    return [(u.name, u.lights) for u in overview.units]


def draw(
    name: str, format: str, *, overview: Overview | None = None, trend: Sequence[WeekPoint] = ()
) -> bytes:
    """One chart in ``format`` (svg or png) from the overview (completion, lights) or the trend's weeks."""
    from tasks.charts import svg

    check_chart(name, format)
    if name == "trend":
        weeks = trend_rows(trend)
        if format == "svg":
            return svg.trend_svg(weeks, TREND_SERIES, CHARTS[name]).encode()
        from tasks.charts.desk_png import trend_png

        return trend_png(weeks, TREND_SERIES, CHARTS[name])
    if overview is None:
        raise ValueError(f"the {name} chart is drawn from the overview")
    if name == "completion":
        rows, left_out = lagging_problems(chart_rows(overview))
        if format == "svg":
            return svg.completion_svg(rows, CHARTS[name] + left_out).encode()
        from tasks.charts.desk_png import completion_png

        return completion_png(rows, CHARTS[name] + left_out)
    if format == "svg":
        return svg.lights_svg(lights_rows(overview), CHARTS[name]).encode()
    from tasks.charts.desk_png import lights_png

    return lights_png(lights_rows(overview), CHARTS[name])


def check_chart(name: str, format: str) -> None:
    """Raise ``UnknownChart`` unless ``name`` is one of ``CHARTS`` and ``format`` one of ``FORMATS``."""
    if name not in CHARTS:
        raise UnknownChart(f"'{name}' is not a chart: {', '.join(CHARTS)}")
    if format not in FORMATS:
        raise UnknownChart(f"a chart is drawn as {' or '.join(FORMATS)}, not '{format}'")


def round_chart(session: Session, clock: Clock, round_code: str | None, name: str, format: str) -> Chart:
    """A chart of a round (none named: the overview's round) as of the clock's now, remembered
    (``tasks.reports.desk_memo``: a write to the ledger or the next minute draws it anew)."""
    check_chart(name, format)
    overview = overview_of(session, clock, round_code)

    def drawn() -> bytes:
        trend = trend_of(session, clock, overview) if name == "trend" else ()
        return draw(name, format, overview=overview, trend=trend)

    content = remembered(session, clock, ("chart", overview.round_code, name, format), drawn)
    return Chart(overview.round_code, name, format, content)
