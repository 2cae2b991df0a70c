"""加减分: a coordinator's bonus or deduction for a unit in a period, with its reason, who and when.

Recorded apart from the base score and never edited or deleted: a wrong one is answered by another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.assessment import Period
from models.errors import InvalidAdjustment, UnknownUnit
from models.tables import AssessmentAdjustment, Unit
from tasks.assessment.gather import find_round
from tasks.assessment.results import latest_result

MAX_POINTS = Decimal(100)


@dataclass(frozen=True)
class AdjustmentOutcome:
    """What ``add_adjustment`` recorded, and whether the period's stored result must be recomputed to show it."""

    id: int
    unit_name: str
    points: Decimal
    period_closed: bool


def parse_points(value: str | Decimal | int) -> Decimal:
    """Points as a coordinator types them (``3``, ``-1.5``): non-zero, at most two decimals, within ±100."""
    try:
        points = Decimal(str(value).strip().replace("＋", "+").replace("－", "-"))
    except InvalidOperation:
        raise InvalidAdjustment(f"points: '{value}' is not a number (e.g. 3 or -1.5)") from None
    if not points.is_finite() or points == 0:
        raise InvalidAdjustment(f"points: '{value}' must be a number other than 0")
    if points != points.quantize(Decimal("0.01")):
        raise InvalidAdjustment(f"points: '{value}' has more than two decimals")
    if abs(points) > MAX_POINTS:
        raise InvalidAdjustment(f"points: '{value}' is outside −{MAX_POINTS}…+{MAX_POINTS}")
    return points


def add_adjustment(
    session: Session,
    round_code: str,
    unit_code: str,
    period: Period,
    *,
    points: str | Decimal | int,
    reason: str,
    actor: str,
    now: datetime,
) -> AdjustmentOutcome:
    """Record a bonus (positive) or deduction (negative); the caller commits."""
    value = parse_points(points)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidAdjustment("reason: 加减分 needs a reason (e.g. 受到市级通报表扬)")
    if not (actor or "").strip():
        raise InvalidAdjustment("actor: say who records it")
    round_ = find_round(session, round_code)
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise UnknownUnit(f"no unit '{unit_code}'")
    row = AssessmentAdjustment(
        round_id=round_.id,
        unit_id=unit.id,
        period=period.label,
        points=value,
        reason=reason,
        actor=actor.strip(),
        created_at=now,
    )
    session.add(row)
    session.flush()
    closed = latest_result(session, round_.id, period) is not None
    return AdjustmentOutcome(row.id, unit.name, value, closed)
