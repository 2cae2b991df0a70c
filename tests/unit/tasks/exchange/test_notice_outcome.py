"""An outcome paragraph split into its measures (tasks.exchange.notice_outcome)."""

from __future__ import annotations

import pytest

from tasks.exchange.notice_outcome import split_outcome


@pytest.mark.parametrize(
    ("text", "lead_in", "expected"),
    [
        ("一是甲。二是乙。", "", [("一是", "甲。"), ("二是", "乙。")]),
        ("总起。一要甲；二要乙；三是丙。", "总起。", [("一要", "甲；"), ("二要", "乙；"), ("三是", "丙。")]),
        # A marker needs a sentence end before it: 统一要求, 第二天 and 唯一是 stay in the text.
        ("提出统一要求：一要甲。第二天二是乙。", "提出统一要求：", [("一要", "甲。第二天二是乙。")]),
        # 一方面/另一方面 are not markers.
        (
            "一是甲。一方面乙，另一方面丙。二是丁。",
            "",
            [("一是", "甲。一方面乙，另一方面丙。"), ("二是", "丁。")],
        ),
        # Out of sequence: 三是 after 一是 stays in the text (reported as a stray marker).
        ("一是甲。三是乙。", "", [("一是", "甲。三是乙。")]),
        # A sub-list inside 二是 does not restart the enumeration.
        (
            "一是甲。二是乙：一要子；二要丑。三是丙。",
            "",
            [("一是", "甲。"), ("二是", "乙：一要子；二要丑。"), ("三是", "丙。")],
        ),
        # No markers: one measure with marker "".
        ("开展专项整顿，作风明显改善。", "", [("", "开展专项整顿，作风明显改善。")]),
        # Half-width sentence ends count too.
        ("一是甲;二是乙.", "", [("一是", "甲;"), ("二是", "乙.")]),
        # A paragraph break counts as a sentence end.
        ("要求如下\n一是甲\n二是乙", "要求如下", [("一是", "甲"), ("二是", "乙")]),
        (
            "一是甲。二是乙。三是丙。四是丁。五是戊。六是己。七是庚。八是辛。九是壬。十是癸。十一是子。",
            "",
            [
                (m, t)
                for m, t in zip(
                    [
                        "一是",
                        "二是",
                        "三是",
                        "四是",
                        "五是",
                        "六是",
                        "七是",
                        "八是",
                        "九是",
                        "十是",
                        "十一是",
                    ],
                    ["甲。", "乙。", "丙。", "丁。", "戊。", "己。", "庚。", "辛。", "壬。", "癸。", "子。"],
                    strict=True,
                )
            ],
        ),
    ],
)
def test_split_outcome(text, lead_in, expected):
    split = split_outcome(text)
    assert split.lead_in == lead_in
    assert split.measures == expected


def test_stray_markers_are_reported():
    assert split_outcome("一是甲。三是乙。").stray_markers == ["三是"]
    assert split_outcome("一是甲。二是乙：一要子；二要丑。").stray_markers == ["一要", "二要"]


@pytest.mark.parametrize(
    "text",
    [
        # The count does not match the clauses.
        "坚持“三个到位”。思想到位，甲；理论到位，乙。",
        # A clause does not open with the announced key.
        "坚持“两个到位”。思想到位，甲；另外还有乙。",
        # No count announced.
        "坚持到位。思想到位，甲；理论到位，乙。",
    ],
)
def test_counted_items_split_only_when_everything_fits(text):
    split = split_outcome(text)
    assert split.lead_in == ""
    assert split.measures == [("", text)]


def test_counted_items_with_two():
    split = split_outcome("做到“两个到位”。思想到位，甲；理论到位，乙。")
    assert split.lead_in == "做到“两个到位”。"
    assert split.measures == [("", "思想到位，甲；"), ("", "理论到位，乙。")]


# -- the marker families ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lead_in", "expected", "separators"),
    [
        # 第一，第二，: the comma is the marker's separator, not the measure's text.
        ("第一，甲；第二，乙。", "", [("第一", "甲；"), ("第二", "乙。")], ["，", "，"]),
        # （1）（2） inline or one a line, after a lead-in.
        (
            "已采取以下措施：\n（1）甲；\n（2）乙。",
            "已采取以下措施：",
            [("（1）", "甲；"), ("（2）", "乙。")],
            ["", ""],
        ),
        ("(1)甲;(2)乙.", "", [("(1)", "甲;"), ("(2)", "乙.")], ["", ""]),
        ("（一）甲。（二）乙。", "", [("（一）", "甲。"), ("（二）", "乙。")], ["", ""]),
        # Circled numbers.
        ("①甲；②乙；③丙。", "", [("①", "甲；"), ("②", "乙；"), ("③", "丙。")], ["", "", ""]),
        # Numbered lines: only at the start of a line.
        ("1.甲；\n2.乙；\n3.丙。", "", [("1.", "甲；"), ("2.", "乙；"), ("3.", "丙。")], ["", "", ""]),
        ("1、甲。\n2、乙。", "", [("1、", "甲。"), ("2、", "乙。")], ["", ""]),
    ],
)
def test_marker_families(text, lead_in, expected, separators):
    split = split_outcome(text)
    assert (split.lead_in, split.measures, split.separators) == (lead_in, expected, separators)


@pytest.mark.parametrize(
    "text",
    [
        "第二天即整改完毕，第一时间通报。",  # 第二天 and 第一时间 have no separator after the number
        "按期完成率达到95.5%，共1.2万人次参与。",  # 1.2 is a number, and not at the start of a line
        "修订《规划（2024—2026年）》。",  # (2024…) is no (N) marker
        "整治点位（2）处。",  # (2) inside a sentence
    ],
)
def test_numbers_inside_sentences_are_not_markers(text):
    assert split_outcome(text).measures == [("", text)]


def test_the_family_that_opens_first_splits_and_the_others_stay_in_the_text():
    split = split_outcome("一是甲：（1）子；（2）丑。二是乙。")
    assert split.measures == [("一是", "甲：（1）子；（2）丑。"), ("二是", "乙。")]
    split = split_outcome("（1）甲，一是子；二是丑。（2）乙。")
    assert split.measures == [("（1）", "甲，一是子；二是丑。"), ("（2）", "乙。")]


def test_a_numbered_line_out_of_turn_is_a_stray_marker():
    split = split_outcome("1.甲；\n3.乙。")
    assert split.measures == [("1.", "甲；\n3.乙。")]
    assert split.stray_markers == ["3."]
