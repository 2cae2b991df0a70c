"""An edited Word draft (``tasks.notice.draft_docx``) read back: each paragraph's text by key, through
the intake's text normalisation; every problem collected and raised together, nothing taken."""

from __future__ import annotations

import io
import re

from models.errors import InvalidPlan, PlanIssue
from tasks.exchange.notice_source import RefusedCharacter, normalise_text, trim
from tasks.notice.draft_docx import DRAFT_HEADING, KEY_CLOSE, KEY_OPEN

_KEY = re.compile(re.escape(KEY_OPEN) + r"([a-z0-9-]+)" + re.escape(KEY_CLOSE) + r"\s*$")


def read_draft_docx(data: bytes, draft_id: int, source: str = "draft.docx") -> dict[str, str]:
    """The texts of an exported draft's table, by paragraph key; raises ``InvalidPlan`` naming each row
    whose key is unreadable or repeated, whose text is empty or holds a refused character, or a file
    exported from another draft."""
    from docx import Document

    try:
        document = Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises several kinds for a file that is not a Word package
        raise InvalidPlan(
            [PlanIssue(source, "", f"not a Word .docx file ({type(error).__name__})")], source
        ) from None
    heading = next((p.text.strip() for p in document.paragraphs if p.text.strip()), "")
    expected = DRAFT_HEADING.format(draft=draft_id)
    if heading != expected:
        message = f"exported from another draft ('{heading}'), not {expected}"
        raise InvalidPlan([PlanIssue(source, "heading", message)], source)
    if not document.tables:
        raise InvalidPlan([PlanIssue(source, "table", "the draft's table is missing")], source)
    texts: dict[str, str] = {}
    issues: list[PlanIssue] = []
    for number, row in enumerate(document.tables[0].rows[1:], start=2):
        where = f"{source}: table row {number}"
        cells = row.cells
        match = _KEY.search(cells[0].text.strip()) if len(cells) >= 2 else None
        if match is None:
            issues.append(
                PlanIssue(where, "段落", "the paragraph's key 〔…〕 is missing: keep the left column")
            )
            continue
        key = match.group(1)
        if key in texts:
            issues.append(PlanIssue(where, "段落", f"{key} appears twice"))
            continue
        try:
            # A notice paragraph is one paragraph: Word's line and paragraph breaks inside the cell are joined.
            lines = [line for p in cells[1].paragraphs for line in normalise_text(p.text).split("\n")]
            text = "".join(trim(line) for line in lines)
        except RefusedCharacter as error:
            issues.append(PlanIssue(where, "文字", str(error)))
            continue
        if not text:
            issues.append(PlanIssue(where, "文字", f"{key} has no text"))
            continue
        texts[key] = text
    if issues:
        raise InvalidPlan(issues, source)
    return texts
