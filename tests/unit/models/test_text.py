"""The one text rule (models.text): normalised on intake, sanitised on output, limits declared once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.errors import InvalidReport
from models.text import (
    AUTHOR_MAX,
    ID_MAX,
    InvalidText,
    check_id,
    check_moment,
    clean_field,
    normalise_text,
    sanitise_text,
    terminal_text,
)


def test_line_breaks_become_one_kind_and_invisible_characters_go() -> None:
    assert (
        normalise_text("甲\v乙\f丙\u2028丁\u2029戊\r\n己\r庚\x85辛", "text")
        == "甲\n乙\n丙\n丁\n戊\n己\n庚\n辛"
    )
    assert (
        normalise_text("\ufeff整\u200b改\u200c成\u200d效\u2060：\u202e一\u2066是\u2069\u200e\u200f", "t")
        == "整改成效：一是"
    )


@pytest.mark.parametrize(
    "char", ["\x00", "\x01", "\x07", "\x08", "\x1b", "\x1f", "\x7f", "\x80", "\x9b", "\ud800"]
)
def test_controls_are_refused_naming_the_field_and_the_character(char: str) -> None:
    with pytest.raises(InvalidText) as error:
        normalise_text(f"一是\n二是{char}", "author")
    assert error.value.field == "author"
    assert f"U+{ord(char):04X}" in str(error.value) and "on line 2" in str(error.value)
    assert isinstance(error.value, InvalidReport) and isinstance(error.value, ValueError)


def test_tab_and_line_feed_are_kept_one_line_fields_turn_them_into_spaces() -> None:
    assert normalise_text("甲\t乙\n丙", "text") == "甲\t乙\n丙"
    assert normalise_text("甲\t乙\v丙", "author", one_line=True) == "甲 乙 丙"


def test_limits_count_characters_after_normalisation() -> None:
    assert normalise_text("张" * AUTHOR_MAX + "\u200b", "author", max_length=AUTHOR_MAX) == "张" * AUTHOR_MAX
    with pytest.raises(InvalidText, match="101 characters; at most 100"):
        normalise_text("张" * (AUTHOR_MAX + 1), "author", max_length=AUTHOR_MAX)


def test_output_is_sanitised_never_refused() -> None:
    assert sanitise_text("已整改\x00\x1b[31m完毕\v\x9b") == "已整改[31m完毕\n"
    assert sanitise_text(None) == ""
    assert "\x1b" not in terminal_text("\x1b]0;title\x07x")


def test_a_schema_field_is_cleaned_or_refused_with_a_value_error() -> None:
    assert clean_field("甲\v乙") == "甲\n乙"
    assert clean_field(3) == 3
    with pytest.raises(ValueError, match="NUL"):
        clean_field("甲\x00")


def test_ids_and_moments_the_ledger_can_hold() -> None:
    assert check_id(ID_MAX, "supersedes") == ID_MAX
    for bad in (0, -1, ID_MAX + 1, 2**63):
        with pytest.raises(InvalidText):
            check_id(bad, "supersedes")
    with pytest.raises(InvalidText):
        check_moment(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), "submitted_at")
    moment = datetime(2023, 12, 15, 10, tzinfo=timezone(timedelta(hours=8)))
    assert check_moment(moment, "submitted_at") == moment
