"""A measure's own reminder offsets as coordinators write them."""

from __future__ import annotations

import pytest

from models.deadlines import checked_reminder_offsets, parse_reminder_offsets, reminder_offsets_text


def test_offsets_are_read_in_any_order_and_kept_largest_first() -> None:
    assert parse_reminder_offsets("5、3、1、0") == (5, 3, 1, 0)
    assert parse_reminder_offsets("1, 3，3 10") == (10, 3, 1)
    assert reminder_offsets_text((10, 3, 1)) == "10、3、1"


@pytest.mark.parametrize("text", ["三天", "5、-1", "5、61"])
def test_what_is_not_a_list_of_working_days_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_reminder_offsets(text)


def test_the_plan_files_list_is_checked_by_the_same_rule() -> None:
    assert checked_reminder_offsets([0, 2, 2]) == (2, 0)
    with pytest.raises(ValueError, match="0 to 60 working days"):
        checked_reminder_offsets([90])
