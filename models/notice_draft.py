"""The editorial path of the notice as pure rules: a draft's paragraphs, their sources, edits carried
forward, which paragraphs are stale, what a draft in each state may do, and publication numbers.

A draft is the ``NoticeDocument`` of a round as of a date cut into editable paragraphs, each keyed by
its part (``preamble``, ``problem-3-description``, ``problem-3-outcome``, ``statistics``, ``closing``)
and remembering the reports it was assembled from. ``apply_paragraphs`` puts the (edited) texts back
into the document, so every renderer prints the coordinator's words.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from models.enums import DraftDecision, DraftStatus
from models.errors import DraftLocked, DuplicateNoticeNumber, InvalidDraftEdit
from models.notice import NoticeDocument, NoticeProblem, StatisticsPlacement, outcome_text
from models.rules import chinese_ordinal

MISSING_MARK = "【待报送"
PARTS = ("description", "outcome", "preamble", "statistics", "closing")


def paragraph_key(part: str, problem: int | None = None) -> str:
    """``preamble``, ``statistics``, ``closing``; ``problem-3-description``, ``problem-3-outcome``."""
    if part in ("description", "outcome"):
        if problem is None:
            raise InvalidDraftEdit(f"the {part} of which problem? (--problem K)")
        return f"problem-{problem}-{part}"
    if part not in PARTS:
        raise InvalidDraftEdit(f"unknown part '{part}' (known: {', '.join(PARTS)})")
    return part


def paragraph_label(key: str, label: str = "整改成效") -> str:
    """A key in the coordinator's words: 问题三 整改成效, 问题三 问题描述, 开头, 统计, 结尾."""
    match = re.fullmatch(r"problem-(\d+)-(description|outcome)", key)
    if match:
        part = label if match.group(2) == "outcome" else "问题描述"
        return f"问题{chinese_ordinal(int(match.group(1)))} {part}"
    return {"preamble": "开头", "statistics": "统计", "closing": "结尾"}.get(key, key)


@dataclass(frozen=True)
class Source:
    """A measure a paragraph quotes, and the report it quoted (None: no report, or held back)."""

    measure: str
    report: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "report": self.report}

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Source:
        report = value.get("report")
        return cls(str(value["measure"]), int(report) if report is not None else None)


@dataclass(frozen=True)
class DraftParagraph:
    """A draft's paragraph: the text assembled from the ledger, the current text and its sources."""

    key: str
    assembled: str
    text: str
    sources: tuple[Source, ...] = ()
    edited: bool = False
    stale_edit: str | None = None  # the previous draft's edit, not carried because its reports changed

    @property
    def has_missing(self) -> bool:
        return MISSING_MARK in self.text


def assemble_paragraphs(document: NoticeDocument, reports: Mapping[str, int | None]) -> list[DraftParagraph]:
    """The editable paragraphs of a document, in print order; ``reports`` maps a measure code to the id
    of the report quoted (absent or None: the measure has no quotable report)."""
    paragraphs = [_fresh("preamble", document.preamble)]
    statistics = document.statistics_sentence
    if document.statistics_placement == StatisticsPlacement.AFTER_PREAMBLE:
        paragraphs.append(_fresh("statistics", statistics))
    for problem in document.problems:
        paragraphs.append(_fresh(f"problem-{problem.ordinal}-description", problem.description.strip()))
        if problem.items or problem.lead_in:
            sources = tuple(
                Source(item.measure_code, reports.get(item.measure_code)) for item in problem.items
            )
            paragraphs.append(_fresh(f"problem-{problem.ordinal}-outcome", outcome_text(problem), sources))
    if document.statistics_placement == StatisticsPlacement.BEFORE_CLOSING:
        paragraphs.append(_fresh("statistics", statistics))
    paragraphs.append(_fresh("closing", document.closing))
    return paragraphs


def _fresh(key: str, text: str, sources: tuple[Source, ...] = ()) -> DraftParagraph:
    return DraftParagraph(key, text, text, sources)


def carry_forward(
    fresh: Sequence[DraftParagraph], previous: Iterable[DraftParagraph]
) -> list[DraftParagraph]:
    """The new draft's paragraphs with the previous draft's edits: an edit is carried where the paragraph's
    basis (its assembled text and the reports it quotes) has not changed; where it has, the new text is
    taken and the old edit kept aside (``stale_edit``) for the coordinator to look at."""
    before = {p.key: p for p in previous}
    result = []
    for paragraph in fresh:
        old = before.get(paragraph.key)
        if old is None or not old.edited:
            result.append(paragraph)
        elif old.assembled == paragraph.assembled and old.sources == paragraph.sources:
            result.append(replace(paragraph, text=old.text, edited=True))
        else:
            result.append(replace(paragraph, stale_edit=old.text))
    return result


def stale_keys(draft: Iterable[DraftParagraph], now: Iterable[DraftParagraph]) -> list[str]:
    """Keys of the draft's paragraphs whose reports changed since it was made (a newer report, a report
    for a measure that had none, a report held back)."""
    current = {p.key: p.sources for p in now}
    return [p.key for p in draft if p.key in current and current[p.key] != p.sources]


def apply_paragraphs(document: NoticeDocument, texts: Mapping[str, str]) -> NoticeDocument:
    """The document with the draft's texts in place of the assembled ones (keys it lacks keep theirs)."""
    problems: list[NoticeProblem] = []
    for problem in document.problems:
        description = texts.get(f"problem-{problem.ordinal}-description", problem.description)
        outcome = texts.get(f"problem-{problem.ordinal}-outcome")
        problems.append(replace(problem, description=description, outcome_override=outcome))
    return replace(
        document,
        preamble=texts.get("preamble", document.preamble),
        closing=texts.get("closing", document.closing),
        statistics_text=texts.get("statistics", document.statistics_text),
        problems=tuple(problems),
    )


# -- what a draft may do in its state ---------------------------------------------------------------


def check_editable(draft_id: int, status: DraftStatus) -> None:
    """A published draft never changes."""
    if status == DraftStatus.PUBLISHED:
        raise DraftLocked(f"草稿 {draft_id} is published: make a new draft to correct it")


def status_after_edit(status: DraftStatus) -> DraftStatus:
    """An edit withdraws an approval and answers a return: the draft awaits a decision again."""
    return DraftStatus.DRAFTING if status != DraftStatus.PUBLISHED else status


def check_decidable(
    draft_id: int,
    status: DraftStatus,
    decision: DraftDecision,
    missing: Sequence[str] = (),
    *,
    allow_missing: bool = False,
) -> None:
    """Only a draft awaiting a decision takes one (the first decision wins); an approval of a draft with
    【待报送】 markers needs ``allow_missing``."""
    check_editable(draft_id, status)
    if status == DraftStatus.APPROVED:
        raise DraftLocked(f"草稿 {draft_id} is already approved (an edit withdraws the approval)")
    if status == DraftStatus.RETURNED:
        raise DraftLocked(f"草稿 {draft_id} was returned: it takes a decision again once edited")
    if decision == DraftDecision.APPROVE and missing and not allow_missing:
        listed = "\n".join(f"  {label}" for label in missing)
        raise DraftLocked(
            f"草稿 {draft_id} still has 【待报送】 markers (approve with --allow-missing to publish them):\n{listed}"
        )


def check_publishable(draft_id: int, status: DraftStatus) -> None:
    """Only an approved draft is published, and only once."""
    if status == DraftStatus.PUBLISHED:
        raise DraftLocked(f"草稿 {draft_id} is already published")
    if status != DraftStatus.APPROVED:
        raise DraftLocked(
            f"草稿 {draft_id} is not approved ({status.value}): `zhenggai notice approve {draft_id}`"
        )


# -- publication numbers (发文字号) ------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*(?P<code>.*?)[〔［\[](?P<year>\d{4})[〕］\]]\s*(?P<serial>\d{1,6})\s*号\s*$")


@dataclass(frozen=True)
class NoticeNumber:
    """新城执党〔2026〕3号: the 机关代字, the year and the serial number in that year."""

    code: str
    year: int
    serial: int

    def __str__(self) -> str:
        return f"{self.code}〔{self.year}〕{self.serial}号"


def parse_number(text: str, code: str) -> NoticeNumber:
    """``〔2026〕3号`` (or with the 代字 in front) as a number under ``code``; bad text raises."""
    match = _NUMBER.match(text)
    if match is None or int(match.group("serial")) < 1:
        raise DuplicateNoticeNumber(f"'{text}' is not a publication number such as 〔2026〕3号")
    given = match.group("code").strip()
    if given and code and given != code:
        raise DuplicateNoticeNumber(f"'{text}' does not carry this bureau's 代字 '{code}'")
    return NoticeNumber(code or given, int(match.group("year")), int(match.group("serial")))


# -- showing a change -------------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[。；！？])")


@dataclass(frozen=True)
class ParagraphChange:
    """A paragraph's text before and after an edit or an import."""

    key: str
    before: str
    after: str
    label: str = field(default="")

    def diff(self) -> str:
        """A unified diff by sentence (Chinese text has no lines to speak of)."""
        name = self.label or paragraph_label(self.key)
        lines = difflib.unified_diff(
            _sentences(self.before),
            _sentences(self.after),
            f"{name}（原文）",
            f"{name}（修改后）",
            lineterm="",
            n=1,
        )
        return "\n".join(lines)


def _sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE.split(text) if part]


def changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[ParagraphChange]:
    """The paragraphs whose text differs, in ``before``'s order (keys ``after`` lacks are unchanged)."""
    return [
        ParagraphChange(key, text, after[key])
        for key, text in before.items()
        if key in after and after[key] != text
    ]
