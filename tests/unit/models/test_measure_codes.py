"""A measure added at the desk continues its problem's numbering."""

from __future__ import annotations

from models.measure_codes import next_measure_code, round_code_prefix


def test_the_problems_numbering_is_continued() -> None:
    assert next_measure_code(["XH-05-1", "XH-05-2", "XH-05-6"], [], 5, set()) == "XH-05-7"
    assert next_measure_code(["JA-1", "JA-2", "JA-10"], [], 1, set()) == "JA-11"


def test_zero_padding_is_kept_and_taken_codes_are_passed_over() -> None:
    assert next_measure_code(["P1-01", "P1-02"], [], 1, set()) == "P1-03"
    assert next_measure_code(["JA-1", "JA-2"], [], 1, {"JA-3", "JA-4"}) == "JA-5"


def test_the_stem_most_measures_share_wins() -> None:
    assert next_measure_code(["XH-02-1", "XH-02-2", "SPECIAL-9"], [], 2, set()) == "XH-02-3"


def test_a_problem_without_measures_starts_with_the_rounds_prefix() -> None:
    round_codes = ["XH-01-1", "XH-01-2", "XH-03-1"]
    assert round_code_prefix(round_codes) == "XH"
    assert next_measure_code([], round_codes, 2, set(round_codes)) == "XH-02-1"
    assert next_measure_code([], [], 4, set()) == "M-04-1"
