"""The desk's counts follow the notice's rules: 已完成 is done or closed, 逾期 past the deadline and not finished."""

from __future__ import annotations

from datetime import date

import pytest

from models.enums import MeasureStatus
from models.measure_view import MeasureView
from tasks.reports.desk import COUNTS, in_count

TODAY = date(2026, 11, 30)


def counted(status: MeasureStatus, deadline: date | None) -> set[str]:
    view = MeasureView("XH-01-1", status=status, deadline=deadline)
    return {key for key in COUNTS if in_count(view, key, TODAY)}


def test_each_measure_is_counted_as_the_notice_counts_it() -> None:
    assert counted(MeasureStatus.CLOSED, date(2026, 1, 1)) == {"measures", "done", "closed"}
    assert counted(MeasureStatus.DONE, date(2026, 1, 1)) == {"measures", "done"}
    assert counted(MeasureStatus.IN_PROGRESS, date(2026, 11, 29)) == {"measures", "overdue"}
    assert counted(MeasureStatus.IN_PROGRESS, TODAY) == {"measures", "in_progress", "due_today"}
    assert counted(MeasureStatus.PLANNED, None) == {"measures", "in_progress"}  # 长期坚持 is never overdue
    with pytest.raises(ValueError, match="is not a count"):
        in_count(MeasureView("XH-01-1"), "nonsense", TODAY)
