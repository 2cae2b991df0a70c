"""A period's ranking: computed from the ledger, or the stored result once the period is closed.

Closing stores the result (``AssessmentResult`` with one ``AssessmentScore`` per unit) and it is never
rewritten: later reports change what a new computation would give, not what was published. An
explicit recomputation stores a new revision with its reason; the earlier revisions stay as history.
Functions that write take a session and never commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.assessment import Adjustment, Line, ListKind, Period, Ranking, UnitScore, parse_period
from models.assessment_formula import Formula, assess, parse_formula
from models.clock import Clock
from models.errors import InvalidPeriod, PeriodNotClosed
from models.tables import AssessmentResult, AssessmentScore, Round, Unit
from tasks.assessment.formula import round_formula
from tasks.assessment.gather import find_round, gather_units


@dataclass(frozen=True)
class Stored:
    """Where a stored result came from: its revision, when and by whom, why (a recomputation)."""

    revision: int
    as_of: datetime
    computed_at: datetime
    computed_by: str
    reason: str


@dataclass(frozen=True)
class PeriodResult:
    """A period's ranking, the formula it used and, when it is the stored one, its record (``None``:
    computed just now)."""

    ranking: Ranking
    stored: Stored | None
    formula: Formula


def compute_ranking(
    session: Session, round_code: str, period: Period, clock: Clock, *, with_change: bool = True
) -> Ranking:
    """The period's ranking from the ledger as of ``clock.now`` (the change against the previous
    period's stored result, or against its computation when it has none)."""
    round_ = find_round(session, round_code)
    formula = round_formula(round_.assessment_formula, round_code)
    units = gather_units(session, round_code, period, clock, ack_allowance=formula.ack_within_workdays)
    previous = None
    if with_change:
        before = period.previous()
        stored = latest_result(session, round_.id, before)
        ranking = (
            stored.ranking
            if stored
            else compute_ranking(session, round_code, before, clock, with_change=False)
        )
        previous = {s.code: s.total for s in ranking.scores if s.ranked}
    return assess(
        units, formula, period, round_code=round_code, timezone=clock.timezone, previous_totals=previous
    )


def period_result(session: Session, round_code: str, period: Period, clock: Clock) -> PeriodResult:
    """The stored result of the period (latest revision), or a computation when it was never closed."""
    round_ = find_round(session, round_code)
    stored = latest_result(session, round_.id, period)
    if stored is not None:
        return stored
    formula = round_formula(round_.assessment_formula, round_code)
    return PeriodResult(compute_ranking(session, round_code, period, clock), None, formula)


def close_period(
    session: Session,
    round_code: str,
    period: Period,
    clock: Clock,
    *,
    actor: str,
    recompute: bool = False,
    reason: str = "",
) -> tuple[PeriodResult, bool]:
    """Store the period's result; (the result, whether a new revision was stored).

    Closing a closed period changes nothing unless ``recompute`` (which needs a ``reason``).
    """
    if period.end(clock.timezone) > clock.now:
        raise PeriodNotClosed(
            f"{period.label} has not ended: it can be closed from {period.end(clock.timezone):%Y-%m-%d %H:%M} "
            f"({clock.timezone})"
        )
    round_ = find_round(session, round_code)
    existing = latest_result(session, round_.id, period)
    if existing is not None and not recompute:
        return existing, False
    if recompute and not reason.strip():
        raise InvalidPeriod("a recomputation needs a reason (--reason), kept in the period's history")
    if recompute and existing is None:
        raise InvalidPeriod(f"{period.label} has not been closed yet: close it first (without --recompute)")
    ranking = compute_ranking(session, round_code, period, clock)
    formula = round_formula(round_.assessment_formula, round_code)
    revision = (existing.stored.revision if existing and existing.stored else 0) + 1
    _store(session, round_.id, ranking, formula.source, revision, clock.now, actor, reason.strip())
    session.flush()
    stored = latest_result(session, round_.id, period)
    assert stored is not None
    return stored, True


def _store(
    session: Session,
    round_id: int,
    ranking: Ranking,
    formula: Any,
    revision: int,
    now: datetime,
    actor: str,
    reason: str,
) -> None:
    codes = [s.code for s in ranking.scores]
    unit_ids = {
        code: id_ for code, id_ in session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(codes)))
    }
    result = AssessmentResult(
        round_id=round_id,
        period=ranking.period.label,
        revision=revision,
        formula_name=ranking.formula_name,
        formula_version=ranking.formula_version,
        formula=dict(formula),
        as_of=now,
        computed_at=now,
        computed_by=actor,
        reason=reason,
        notes=list(ranking.notes),
    )
    for score in ranking.scores:
        result.scores.append(
            AssessmentScore(
                unit_id=unit_ids.get(score.code),
                unit_code=score.code,
                unit_name=score.name,
                unit_kind=score.kind,
                collective=score.collective,
                asked=score.asked,
                base_score=score.base_score,
                adjustment=score.adjustment,
                total=score.total,
                ranked=score.ranked,
                unranked_reason=score.unranked_reason,
                rank=score.rank,
                tied=score.tied,
                list_kind=score.list.value if score.list else None,
                list_reason=score.list_reason,
                change=score.change,
                lines=[_line_json(line) for line in score.lines],
                adjustments=[_adjustment_json(a) for a in score.adjustments],
            )
        )
    session.add(result)


def _line_json(line: Line) -> dict[str, Any]:
    return {
        "measure": line.measure_code,
        "day": line.day.isoformat(),
        "rule": line.rule,
        "points": str(line.points),
        "detail": line.detail,
    }


def _adjustment_json(adjustment: Adjustment) -> dict[str, Any]:
    return {
        "id": adjustment.id,
        "points": str(adjustment.points),
        "reason": adjustment.reason,
        "actor": adjustment.actor,
        "at": adjustment.at.isoformat(),
    }


def _ranking(result: AssessmentResult, round_code: str) -> Ranking:
    scores = tuple(
        UnitScore(
            code=row.unit_code,
            name=row.unit_name,
            kind=row.unit_kind,
            asked=row.asked,
            base_score=Decimal(row.base_score),
            adjustment=Decimal(row.adjustment),
            lines=tuple(
                Line(
                    item["measure"],
                    date.fromisoformat(item["day"]),
                    item["rule"],
                    Decimal(item["points"]),
                    item["detail"],
                )
                for item in row.lines
            ),
            adjustments=tuple(
                Adjustment(
                    Decimal(a["points"]), a["reason"], a["actor"], datetime.fromisoformat(a["at"]), a["id"]
                )
                for a in row.adjustments
            ),
            ranked=row.ranked,
            unranked_reason=row.unranked_reason,
            rank=row.rank,
            tied=row.tied,
            list=ListKind(row.list_kind) if row.list_kind else None,
            list_reason=row.list_reason,
            change=Decimal(row.change) if row.change is not None else None,
            collective=row.collective,
        )
        for row in result.scores
    )
    scores = tuple(sorted(scores, key=lambda s: (s.rank is None, s.rank or 0, s.name, s.code)))
    return Ranking(
        round_code,
        parse_period(result.period),
        result.formula_name,
        result.formula_version,
        scores,
        tuple(result.notes),
    )


def _stored(result: AssessmentResult) -> Stored:
    return Stored(result.revision, result.as_of, result.computed_at, result.computed_by, result.reason)


def latest_result(session: Session, round_id: int, period: Period) -> PeriodResult | None:
    """The latest stored revision of a round's period, or None when the period was never closed."""
    result = session.scalar(
        select(AssessmentResult)
        .where(AssessmentResult.round_id == round_id, AssessmentResult.period == period.label)
        .order_by(AssessmentResult.revision.desc())
        .limit(1)
        .options(selectinload(AssessmentResult.scores))
    )
    if result is None:
        return None
    round_code = session.scalar(select(Round.code).where(Round.id == round_id)) or ""
    return PeriodResult(_ranking(result, round_code), _stored(result), parse_formula(result.formula))


def period_history(session: Session, round_code: str, period: Period) -> list[tuple[Stored, str]]:
    """Every stored revision of a period, oldest first, with the formula version each used."""
    round_ = find_round(session, round_code)
    rows = session.scalars(
        select(AssessmentResult)
        .where(AssessmentResult.round_id == round_.id, AssessmentResult.period == period.label)
        .order_by(AssessmentResult.revision)
    )
    return [(_stored(row), f"{row.formula_name}（{row.formula_version}）") for row in rows]


def the_round(session: Session, round_code: str | None) -> str:
    """``round_code``, or the only round of the ledger when none is named (``tasks.ledger.queries``)."""
    from tasks.ledger.queries import only_round

    if round_code is not None:
        return find_round(session, round_code).code
    return only_round(session, None)


def closed_periods(session: Session, round_code: str) -> list[str]:
    """Labels of the round's closed periods, oldest first."""
    round_ = find_round(session, round_code)
    rows = session.execute(
        select(AssessmentResult.period, func.min(AssessmentResult.computed_at))
        .where(AssessmentResult.round_id == round_.id)
        .group_by(AssessmentResult.period)
        .order_by(func.min(AssessmentResult.computed_at))
    )
    return [period for period, _ in rows]
