"""A measure as of a moment (models.measure_view): how it names its text and leader, and its judgment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.enums import MeasureStatus
from models.measure_view import MeasureView
from models.rules import Assessment, Light, MeasureState


def test_words_of_a_view() -> None:
    view = MeasureView("XH-08-1", 1, "一是", "各街道办事处", text="发放宣传一封信")
    assert view.measure_text == "一是发放宣传一封信" and view.status == MeasureStatus.PLANNED
    assert view.leader is None
    led = MeasureView("A", leader_code="li", leader_person="李某某", leader_role="分管副局长")
    assert led.leader == "分管副局长"
    assert MeasureView("A", leader_code="li", leader_person="李某某").leader == "李某某"


def test_a_view_read_for_its_facts_only_has_no_judgment() -> None:
    facts = MeasureView("A")
    assert not facts.report_missing
    with pytest.raises(ValueError, match="without its derived state"):
        _ = facts.state
    start = datetime(2024, 1, 22, 1, tzinfo=UTC)
    judged = MeasureView(
        "A",
        missing_period=(start, start),
        assessment=Assessment(MeasureState.MISSING_REPORT, Light.YELLOW, None),
    )
    assert judged.report_missing and judged.state == MeasureState.MISSING_REPORT
    assert judged.light == Light.YELLOW and judged.workdays_left is None
