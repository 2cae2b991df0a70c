"""Two versions of a notice compared sentence by sentence (models.notice_diff)."""

from __future__ import annotations

from models.notice_diff import DiffRow, Piece, notice_diff, sentences


def test_sentences_end_after_chinese_stops_and_at_paragraph_ends() -> None:
    assert sentences("一是学习。二是整改；三是监督！\n\n结尾") == [
        "一是学习。",
        "二是整改；",
        "三是监督！",
        "结尾",
    ]


def test_a_changed_sentence_marks_only_the_characters_that_differ() -> None:
    rows = notice_diff("一是学习12次。二是整改。", "一是学习15次。二是整改。")
    assert rows[0] == DiffRow(
        "changed",
        (Piece("一是学习1"), Piece("2", True), Piece("次。")),
        (Piece("一是学习1"), Piece("5", True), Piece("次。")),
    )
    assert rows[1].kind == "same"


def test_added_and_removed_sentences_and_long_equal_runs_folded() -> None:
    before = "".join(f"第{n}句。" for n in range(1, 11))
    after = before.replace("第5句。", "") + "新增一句。"
    kinds = [row.kind for row in notice_diff(before, after)]
    # 4 equal before the removal: 3 folded, 1 kept; one kept on each side of the end; the addition last.
    assert kinds == ["skipped", "same", "removed", "same", "skipped", "same", "added"]
    assert notice_diff(before, after)[0].count == 3
    assert [row.kind for row in notice_diff(before, before)] == ["skipped"]


def test_a_character_the_texts_share_by_chance_inside_a_change_is_part_of_it() -> None:
    row = notice_diff("一是【待报送：办事处】。", "一是已取缔摊点23处。")[0]
    assert [p.text for p in row.after if p.changed] == ["已取缔摊点23处"]
    assert [p.text for p in row.before if p.changed] == ["【待报送：办事处】"]
