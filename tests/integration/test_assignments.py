"""签收 and 延期申请 in the ledger: the functions the portal and (later) the desk call, and the assessment's
seams that read them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models.errors import InvalidExtensionRequest
from models.tables import Measure, StatusEvent
from tasks.assessment.sources import acknowledgements, approved_extensions
from tasks.reports.assignments import (
    acknowledge,
    decide_extension,
    pending_extensions,
    request_extension,
)
from tests.factories import make_measure, make_unit

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def _ask(session: Any, unit: Any, requested: date, reason: str) -> Any:
    """The unit asks for a later deadline on A-1 through the portal (the one request these tests vary)."""
    return request_extension(
        session,
        "A-1",
        unit_id=unit.id,
        requested=requested,
        reason=reason,
        token_id=None,
        actor="portal",
        now=NOW,
    )


def test_acknowledgements_reach_the_assessment(session: Any) -> None:
    unit = make_unit(session, "jiedao")
    measure = make_measure(session, code="A-1", lead_unit=unit)
    assert acknowledgements(session, [measure.id]) == []
    acknowledge(session, "A-1", unit_id=unit.id, token_id=None, actor="portal", now=NOW)
    acknowledge(session, "A-1", unit_id=unit.id, token_id=None, actor="portal", now=NOW + timedelta(hours=1))
    [ack] = acknowledgements(session, [measure.id])
    assert (ack.measure_id, ack.unit_id, ack.acknowledged_at) == (measure.id, unit.id, NOW)
    assert ack.assigned_at == measure.created_at


def test_an_extension_is_pending_until_decided_and_approval_moves_the_deadline(session: Any) -> None:
    unit = make_unit(session, "jiedao")
    measure = make_measure(session, code="A-1", lead_unit=unit, deadline=date(2026, 12, 31))
    request = _ask(session, unit, date(2027, 1, 31), "雨季")
    assert [r.id for r in pending_extensions(session)] == [request.id]
    assert approved_extensions(session, [measure.id]) == []
    with pytest.raises(InvalidExtensionRequest, match="已有一份延期申请"):
        _ask(session, unit, date(2027, 2, 28), "再延")
    decided = decide_extension(
        session, request.id, approve=True, actor="督办室", note="同意", now=NOW + timedelta(days=1)
    )
    assert decided.status == "approved" and pending_extensions(session) == []
    [approved] = approved_extensions(session, [measure.id])
    assert (approved.original, approved.new) == (date(2026, 12, 31), date(2027, 1, 31))
    assert session.scalar(select(Measure.deadline).where(Measure.id == measure.id)) == date(2027, 1, 31)
    event = session.scalar(select(StatusEvent).where(StatusEvent.measure_id == measure.id))
    assert event is not None and "2026-12-31 → 2027-01-31" in event.reason
    with pytest.raises(InvalidExtensionRequest, match="already approved"):
        decide_extension(session, request.id, approve=False, actor="督办室", now=NOW)


def test_a_refused_extension_keeps_the_deadline(session: Any) -> None:
    unit = make_unit(session, "jiedao")
    measure = make_measure(session, code="A-1", lead_unit=unit, deadline=date(2026, 12, 31))
    request = _ask(session, unit, date(2027, 1, 31), "雨季")
    decide_extension(session, request.id, approve=False, actor="督办室", note="理由不充分", now=NOW)
    assert approved_extensions(session, [measure.id]) == []
    assert session.scalar(select(Measure.deadline).where(Measure.id == measure.id)) == date(2026, 12, 31)


def test_an_ongoing_measure_needs_no_extension(session: Any) -> None:
    unit = make_unit(session, "jiedao")
    make_measure(session, code="A-1", lead_unit=unit, deadline=None)
    with pytest.raises(InvalidExtensionRequest, match="长期坚持"):
        _ask(session, unit, date(2027, 1, 31), "x")
