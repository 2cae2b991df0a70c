"""A unit's measures: what it leads or co-owns, as of today."""

from __future__ import annotations

from fastapi import APIRouter

from flows.web.deps import Caller, Db, Now
from flows.web.schemas import UnitMeasure
from tasks.ledger.queries import measure_views
from tasks.reports.access import check_unit_access

router = APIRouter(tags=["measures"])


@router.get("/units/{unit}/measures", response_model=list[UnitMeasure])
def get_unit_measures(unit: str, caller: Caller, db: Db, now: Now) -> list[UnitMeasure]:
    """What a unit owns (as lead or co-unit), with deadline, state, light and the last report."""
    with db.unit_of_work() as session:
        check_unit_access(session, caller, unit)
        views = measure_views(
            session, now.on(now.today), unit_code=unit, with_co_units=True, member_texts=True
        )
    return [UnitMeasure.of(view, unit) for view in views]
