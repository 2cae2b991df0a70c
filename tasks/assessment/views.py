"""What the desk's ranking page and the portal's own-score view show, as plain values (no HTML here).

The desk shows each ranked unit with its trend over the last periods of the same kind (stored results;
the period asked may be computed); the portal shows one unit its score, its deductions and credits line
by line, and its 加减分 apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from models.assessment import Adjustment, Line, ListKind, Period, Ranking, UnitScore
from models.clock import Clock
from models.errors import UnknownUnit
from tasks.assessment.gather import find_round
from tasks.assessment.results import PeriodResult, Stored, latest_result, period_result


@dataclass(frozen=True)
class TrendPoint:
    """A unit's total and rank in one period (None: not ranked, or the period was never closed)."""

    period: str
    total: Decimal | None
    rank: int | None


@dataclass(frozen=True)
class RankingRow:
    """A ranked unit and its trend, oldest period first (the last point is the period shown)."""

    score: UnitScore
    trend: tuple[TrendPoint, ...]


@dataclass(frozen=True)
class RankingPage:
    """The desk's ranking page: the ranking, whether it is stored, and each unit's trend."""

    ranking: Ranking
    stored: Stored | None
    periods: tuple[str, ...]
    rows: tuple[RankingRow, ...]


def _history(
    session: Session, round_code: str, period: Period, clock: Clock, count: int
) -> list[PeriodResult | None]:
    round_id = find_round(session, round_code).id
    periods = [period]
    while len(periods) < count:
        periods.insert(0, periods[0].previous())
    results: list[PeriodResult | None] = [latest_result(session, round_id, p) for p in periods[:-1]]
    results.append(period_result(session, round_code, period, clock))
    return results


def ranking_page(
    session: Session, round_code: str, period: Period, clock: Clock, *, trend_periods: int = 8
) -> RankingPage:
    """The ranking of ``period`` with each unit's trend over ``trend_periods`` periods up to it."""
    count = max(1, trend_periods)
    history = _history(session, round_code, period, clock, count)
    current = history[-1]
    assert current is not None
    labels: list[str] = []
    p = period
    for _ in range(count):
        labels.insert(0, p.label)
        p = p.previous()
    rows = []
    for score in current.ranking.ranked:
        trend = []
        for label, result in zip(labels, history, strict=True):
            past = result.ranking.score_of(score.code) if result is not None else None
            ranked = past is not None and past.ranked
            trend.append(
                TrendPoint(label, past.total if ranked and past else None, past.rank if past else None)
            )
        rows.append(RankingRow(score, tuple(trend)))
    return RankingPage(current.ranking, current.stored, tuple(labels), tuple(rows))


@dataclass(frozen=True)
class UnitScoreView:
    """The portal's view of one unit's score in a period."""

    unit_code: str
    unit_name: str
    period: Period
    score: UnitScore
    ranked_units: int
    deductions: tuple[Line, ...]
    credits: tuple[Line, ...]
    adjustments: tuple[Adjustment, ...]
    stored: Stored | None

    @property
    def list(self) -> ListKind | None:
        return self.score.list


def unit_score_view(
    session: Session, round_code: str, unit_code: str, period: Period, clock: Clock
) -> UnitScoreView:
    """One unit's score with every deduction and credit (the lines of the rules) and its 加减分 apart."""
    result = period_result(session, round_code, period, clock)
    score = result.ranking.score_of(unit_code)
    if score is None:
        raise UnknownUnit(
            f"unit '{unit_code}' has no share of round {round_code}'s measures in {period.label}"
        )
    return UnitScoreView(
        unit_code=score.code,
        unit_name=score.name,
        period=period,
        score=score,
        ranked_units=len(result.ranking.ranked),
        deductions=tuple(line for line in score.lines if line.points < 0),
        credits=tuple(line for line in score.lines if line.points > 0),
        adjustments=score.adjustments,
        stored=result.stored,
    )
