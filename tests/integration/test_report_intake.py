"""Recording reports through the one intake path, on a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models.clock import Clock
from models.db import Database
from models.enums import MeasureStatus
from models.errors import InvalidReport, UnknownMeasure, UnknownUnit
from models.tables import Measure, Report, StatusEvent
from models.workdays import WeekdayCalendar
from tasks.ledger.queries import latest_reports
from tasks.reports.record import DuplicateReport, MetricInput, ReportInput, record_report
from tests.factories import make_measure, make_unit

NOW = datetime(2023, 12, 15, 2, 0, tzinfo=UTC)
TODAY = date(2023, 12, 15)


def _record(session: Any, **fields: Any) -> Report:
    values: dict[str, Any] = {"measure": "M-1", "text": "已召开专题会议研究部署。"}
    values.update(fields)
    return record_report(
        session, ReportInput(**values), actor="test", clock=Clock(WeekdayCalendar(), "Asia/Shanghai", NOW)
    )


@pytest.fixture
def measure(session: Any) -> Measure:
    owner = make_unit(session, "owner")
    helper = make_unit(session, "helper")
    measure = make_measure(session, code="M-1", lead_unit=owner, co_units=[helper])
    make_unit(session, "stranger")
    session.commit()
    return measure


def test_a_report_is_appended_with_metrics_history_and_a_status_move(session: Any, measure: Measure) -> None:
    report = _record(session, metrics=[MetricInput(name="宣传信发放", value="40000", unit="份")])
    session.commit()

    assert report.unit is not None and report.unit.code == "owner"
    assert [(m.name, int(m.value), m.unit) for m in report.metrics] == [("宣传信发放", 40000, "份")]
    assert measure.status == MeasureStatus.IN_PROGRESS
    kinds = session.scalars(select(StatusEvent.kind).where(StatusEvent.measure_id == measure.id)).all()
    assert sorted(kinds) == ["report", "status"]


def test_a_co_unit_may_report_but_a_stranger_may_not(session: Any, measure: Measure) -> None:
    assert _record(session, unit="helper").unit.code == "helper"  # type: ignore[union-attr]
    with pytest.raises(InvalidReport, match="unit 'stranger' does not own measure M-1"):
        _record(session, unit="stranger")
    with pytest.raises(UnknownUnit):
        _record(session, unit="nobody")


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"measure": "NOPE"}, UnknownMeasure, "no measure 'NOPE'"),
        ({"text": "   "}, InvalidReport, "text: a report needs text"),
        ({"period_end": TODAY + timedelta(days=1)}, InvalidReport, "period: ends 2023-12-16, in the future"),
        (
            {"period_start": TODAY + timedelta(days=3), "period_end": TODAY + timedelta(days=9)},
            InvalidReport,
            "period: starts 2023-12-18, in the future",
        ),
        (
            {"period_start": date(2023, 12, 10), "period_end": date(2023, 12, 1)},
            InvalidReport,
            "period: starts 2023-12-10 after it ends 2023-12-01",
        ),
        ({"submitted_at": NOW + timedelta(hours=1)}, InvalidReport, "submitted_at"),
        ({"supersedes": 999}, InvalidReport, "supersedes: report #999 is not a report on M-1"),
    ],
)
def test_bad_reports_are_refused_and_nothing_is_stored(
    session: Any, measure: Measure, fields: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(")):
        _record(session, **fields)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_the_same_idempotency_key_is_recorded_once(session: Any, measure: Measure) -> None:
    first = _record(session, idempotency_key="abc")
    with pytest.raises(DuplicateReport) as raised:
        _record(session, idempotency_key="abc")
    assert raised.value.report_id == first.id


def test_a_correction_supersedes_and_the_latest_report_follows_it(
    session: Any, measure: Measure, database: Database
) -> None:
    original = _record(session, text="初稿", submitted_at=NOW - timedelta(days=2))
    later = _record(session, text="后续进展", submitted_at=NOW - timedelta(days=1))
    correction = _record(session, text="更正：后续进展", supersedes=later.id)
    session.commit()

    assert latest_reports(session, measure_ids=[measure.id])[measure.id].report_id == correction.id
    # As of a day before the correction, the superseded report was still the latest.
    assert (
        latest_reports(session, measure_ids=[measure.id], as_of=NOW - timedelta(hours=12))[
            measure.id
        ].report_id
        == later.id
    )
    assert (
        latest_reports(session, measure_ids=[measure.id], as_of=NOW - timedelta(days=1, hours=12))[
            measure.id
        ].report_id
        == original.id
    )
    with pytest.raises(InvalidReport, match=f"already superseded by #{correction.id}"):
        _record(session, text="再次更正", supersedes=later.id)


def test_a_report_may_cover_the_period_under_way(session: Any, measure: Measure) -> None:
    report = _record(session, period_start=date(2023, 12, 11), period_end=date(2023, 12, 17))

    assert (report.period_start, report.period_end) == (date(2023, 12, 11), date(2023, 12, 17))


def test_correcting_a_done_claim_takes_the_measure_back_to_in_progress(
    session: Any, measure: Measure
) -> None:
    claim = _record(session, claimed_status="done", submitted_at=NOW - timedelta(days=1))
    assert measure.status == MeasureStatus.DONE

    _record(session, text="更正：尚在推进", supersedes=claim.id)

    assert measure.status == MeasureStatus.IN_PROGRESS


def test_only_the_unit_that_wrote_a_report_may_correct_it(session: Any, measure: Measure) -> None:
    original = _record(session, unit="helper", submitted_at=NOW - timedelta(days=1))

    with pytest.raises(InvalidReport, match=f"supersedes: report #{original.id} was written by another unit"):
        _record(session, unit="owner", supersedes=original.id)


@pytest.mark.parametrize("value", ["12345678901234567", "1.23456", "NaN"])
def test_metrics_beyond_what_the_ledger_holds_are_refused(value: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        MetricInput(name="罚款", value=value, unit="万元")  # type: ignore[arg-type]


def test_a_done_claim_awaits_review(session: Any, measure: Measure) -> None:
    _record(session, claimed_status="done")

    assert measure.status == MeasureStatus.DONE
