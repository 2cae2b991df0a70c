"""The editorial rules: paragraphs and their sources, edits carried forward, stale paragraphs, what a draft
in each state may do, numbers, and the diff shown before an edit is taken."""

from __future__ import annotations

from dataclasses import replace

import pytest

from models.enums import DraftDecision, DraftStatus
from models.errors import DraftLocked, DuplicateNoticeNumber, InvalidDraftEdit
from models.measure_view import MeasureView
from models.notice import (
    BlockKind,
    NoticeDocument,
    NoticeOptions,
    ReportInfo,
    RunStyle,
    StatisticsPlacement,
    build_notice,
)
from models.notice_draft import (
    NoticeNumber,
    ParagraphChange,
    Source,
    apply_paragraphs,
    assemble_paragraphs,
    carry_forward,
    changes,
    check_decidable,
    check_editable,
    check_publishable,
    paragraph_key,
    paragraph_label,
    parse_number,
    stale_keys,
    status_after_edit,
)
from tests.unit.models.test_notice import AS_OF, ROUND, problem_with


def _document(reports: dict[str, ReportInfo], withheld: tuple[str, ...] = ()) -> NoticeDocument:
    problems = [
        problem_with(1, MeasureView("A-1", 1, "一是", "局办公室"), MeasureView("A-2", 2, "二是", "街道")),
        problem_with(2, MeasureView("B-1", 1, "", "局办公室")),
    ]
    options = NoticeOptions(statistics=StatisticsPlacement.BEFORE_CLOSING)
    return build_notice(ROUND, problems, reports, AS_OF, options, withheld=withheld)


def test_paragraphs_in_print_order_with_the_reports_they_quote() -> None:
    document = _document({"A-1": ReportInfo("已部署。"), "B-1": ReportInfo("已完成。")})
    paragraphs = assemble_paragraphs(document, {"A-1": 11, "B-1": 12})

    assert [p.key for p in paragraphs] == [
        "preamble",
        "problem-1-description",
        "problem-1-outcome",
        "problem-2-description",
        "problem-2-outcome",
        "statistics",
        "closing",
    ]
    outcome = paragraphs[2]
    assert outcome.text == "一是已部署。二是【待报送：街道】" and outcome.has_missing
    assert outcome.sources == (Source("A-1", 11), Source("A-2", None))
    assert paragraphs[5].text.startswith("截至2023年12月31日")


def test_applied_texts_replace_the_assembled_ones_and_markers_stay_markers() -> None:
    document = _document({"A-1": ReportInfo("已部署。")})
    edited = apply_paragraphs(
        document,
        {"problem-1-outcome": "一是改写。【待报送：街道】", "statistics": "统计改写。", "closing": "结尾。"},
    )
    blocks = {b.kind: b for b in edited.blocks()}

    outcome = next(b for b in edited.blocks() if b.kind == BlockKind.OUTCOME)
    assert outcome.text == "整改成效：一是改写。【待报送：街道】"
    assert [r.style for r in outcome.runs] == [RunStyle.LABEL, RunStyle.BODY, RunStyle.MISSING]
    assert blocks[BlockKind.STATISTICS].text == "统计改写。"
    assert blocks[BlockKind.CLOSING].text == "结尾。"
    assert apply_paragraphs(document, {}).blocks() == document.blocks()


def test_a_withheld_measure_is_left_out_not_marked_missing() -> None:
    document = _document({"A-1": ReportInfo("已部署。"), "A-2": ReportInfo("不宜公开。")}, withheld=("A-2",))

    outcome = next(b for b in document.blocks() if b.kind == BlockKind.OUTCOME)
    assert outcome.text == "整改成效：一是已部署。"
    assert [m.measure_code for m in document.missing] == ["B-1"]


def test_edits_carry_forward_only_where_the_basis_is_unchanged() -> None:
    before = assemble_paragraphs(_document({"A-1": ReportInfo("已部署。")}), {"A-1": 1})
    edited = [
        replace(p, text="改。", edited=True) if p.key in ("closing", "problem-1-outcome") else p
        for p in before
    ]
    same = assemble_paragraphs(_document({"A-1": ReportInfo("已部署。")}), {"A-1": 1})
    newer = assemble_paragraphs(_document({"A-1": ReportInfo("又部署。")}), {"A-1": 2})

    kept = {p.key: p for p in carry_forward(same, edited)}
    assert kept["closing"].text == "改。" and kept["problem-1-outcome"].text == "改。"
    moved = {p.key: p for p in carry_forward(newer, edited)}
    assert moved["closing"].text == "改。" and moved["closing"].edited
    assert moved["problem-1-outcome"].text.startswith("一是又部署。")
    assert moved["problem-1-outcome"].stale_edit == "改。" and not moved["problem-1-outcome"].edited
    assert stale_keys(before, newer) == ["problem-1-outcome"]
    assert stale_keys(before, same) == []


def test_what_a_draft_may_do_in_each_state() -> None:
    check_editable(1, DraftStatus.APPROVED)
    with pytest.raises(DraftLocked, match="published"):
        check_editable(1, DraftStatus.PUBLISHED)
    assert status_after_edit(DraftStatus.APPROVED) == DraftStatus.DRAFTING
    assert status_after_edit(DraftStatus.RETURNED) == DraftStatus.DRAFTING

    check_decidable(1, DraftStatus.DRAFTING, DraftDecision.APPROVE)
    check_decidable(1, DraftStatus.DRAFTING, DraftDecision.RETURN, ["问题一 整改成效"])
    check_decidable(1, DraftStatus.DRAFTING, DraftDecision.APPROVE, ["问题一 整改成效"], allow_missing=True)
    for status in (DraftStatus.APPROVED, DraftStatus.RETURNED, DraftStatus.PUBLISHED):
        with pytest.raises(DraftLocked):
            check_decidable(1, status, DraftDecision.APPROVE)
    with pytest.raises(DraftLocked, match="--allow-missing"):
        check_decidable(1, DraftStatus.DRAFTING, DraftDecision.APPROVE, ["问题一 整改成效"])

    check_publishable(1, DraftStatus.APPROVED)
    for status in (DraftStatus.DRAFTING, DraftStatus.RETURNED, DraftStatus.PUBLISHED):
        with pytest.raises(DraftLocked):
            check_publishable(1, status)


def test_keys_labels_and_numbers() -> None:
    assert paragraph_key("outcome", 3) == "problem-3-outcome"
    assert paragraph_key("closing") == "closing"
    with pytest.raises(InvalidDraftEdit):
        paragraph_key("outcome")
    with pytest.raises(InvalidDraftEdit):
        paragraph_key("title")
    assert paragraph_label("problem-3-outcome") == "问题三 整改成效"
    assert paragraph_label("problem-10-description") == "问题十 问题描述"

    assert str(NoticeNumber("新城执党", 2026, 3)) == "新城执党〔2026〕3号"
    assert parse_number("〔2026〕3号", "新城执党") == NoticeNumber("新城执党", 2026, 3)
    assert parse_number("新城执党[2026]12号", "新城执党").serial == 12
    for bad in ("2026年3号", "〔2026〕0号", "〔26〕3号"):
        with pytest.raises(DuplicateNoticeNumber):
            parse_number(bad, "新城执党")
    with pytest.raises(DuplicateNoticeNumber, match="代字"):
        parse_number("别的〔2026〕3号", "新城执党")


def test_changes_and_their_diff_by_sentence() -> None:
    found = changes({"a": "一是甲。二是乙。", "b": "不变。"}, {"a": "一是甲。二是丙。", "b": "不变。"})

    assert found == [ParagraphChange("a", "一是甲。二是乙。", "一是甲。二是丙。")]
    diff = ParagraphChange("problem-2-outcome", "一是甲。二是乙。", "一是甲。二是丙。").diff()
    assert "-二是乙。" in diff and "+二是丙。" in diff and " 一是甲。" in diff
    assert "问题二 整改成效（修改后）" in diff
