"""A coordinator's test message to a contact: one per URL, due at once (quiet hours too), a new key each press."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.clock import Clock
from models.enums import MessageKind
from models.notifications import Recipient
from models.send_check import plan_test_message
from models.workdays import WeekdayCalendar

LATE = datetime(2024, 1, 6, 14, 30, tzinfo=UTC)  # a Saturday, 22:30 in Shanghai


def test_one_message_per_url_due_now_even_outside_working_hours() -> None:
    clock = Clock(WeekdayCalendar(), "Asia/Shanghai", LATE)
    recipient = Recipient(7, "jd-liaison", "王芳", "联络员", ("json://a/1", "mailto://b"), unit_id=3)
    messages = plan_test_message(recipient, clock, asked_by="督查室")
    assert [m.url_index for m in messages] == [0, 1]
    assert all(m.due_at == LATE and m.kind == MessageKind.TEST and m.unit_id == 3 for m in messages)
    assert messages[0].key == "contact-test|test|jd-liaison#0|2024-01-06T14:30:00.000000+00:00"
    assert messages[0].context["asked_by"] == "督查室" and messages[0].measure_id is None
    later = Clock(WeekdayCalendar(), "Asia/Shanghai", LATE + timedelta(microseconds=1))
    assert plan_test_message(recipient, later, asked_by="督查室")[0].key != messages[0].key
    assert plan_test_message(Recipient(8, "nobody", "无"), clock, asked_by="督查室") == []
