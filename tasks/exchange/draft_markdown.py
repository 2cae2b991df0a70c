"""An edited Markdown draft (``tasks.notice.draft_markdown``) read back: each paragraph's text by key,
through the intake's text normalisation; every problem collected and raised together, nothing taken."""

from __future__ import annotations

import re

from models.errors import InvalidPlan, PlanIssue
from tasks.exchange.notice_source import RefusedCharacter, normalise_text, trim
from tasks.notice.draft_docx import DRAFT_HEADING, KEY_CLOSE, KEY_OPEN
from tasks.notice.draft_markdown import SECTION

_SECTION = re.compile(
    "^" + re.escape(SECTION) + r".*" + re.escape(KEY_OPEN) + r"([a-z0-9-]+)" + re.escape(KEY_CLOSE) + r"\s*$"
)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def read_draft_markdown(data: bytes, draft_id: int, source: str = "draft.md") -> dict[str, str]:
    """The texts of an exported draft by paragraph key; raises ``InvalidPlan`` naming each line whose
    heading is unreadable or repeated, each paragraph left empty, text outside a paragraph, a refused
    character, a file that is not UTF-8, or one exported from another draft."""
    lines = _lines(data, source)
    expected = f"# {DRAFT_HEADING.format(draft=draft_id)}"
    heading = next((trim(line) for line in lines if trim(line)), "")
    if heading != expected:
        message = f"exported from another draft ('{heading}'), not {expected}"
        raise InvalidPlan([PlanIssue(source, "heading", message)], source)
    texts: dict[str, str] = {}
    issues: list[PlanIssue] = []
    sections = _sections(lines, lines.index(next(line for line in lines if trim(line) == expected)) + 1)
    for number, key, body in sections:
        where = f"{source}:{number}"
        if key is None:
            message = "text outside a paragraph: put it under a ## heading"
            if body:
                message = "the paragraph's key 〔…〕 is missing from its ## line: keep the ## lines"
            issues.append(PlanIssue(where, "段落" if body else "文字", message))
        elif key in texts:
            issues.append(PlanIssue(where, "段落", f"{key} appears twice"))
        elif not (joined := "".join(trim(part) for part in body)):
            issues.append(PlanIssue(where, "文字", f"{key} has no text"))
        else:
            texts[key] = joined  # a notice paragraph is one paragraph: lines wrapped in the editor join
    if issues:
        raise InvalidPlan(issues, source)
    return texts


def _lines(data: bytes, source: str) -> list[str]:
    """The file's lines through the intake's normalisation, the instruction comment blanked out."""
    try:
        text = normalise_text(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise InvalidPlan([PlanIssue(source, "", f"not UTF-8 text (byte {error.start})")], source) from None
    except RefusedCharacter as error:
        raise InvalidPlan([PlanIssue(source, "文字", str(error))], source) from None
    # Blank the comment out but keep its line breaks, so that line numbers hold.
    return _COMMENT.sub(lambda found: "\n" * found.group().count("\n"), text).split("\n")


def _sections(lines: list[str], start: int) -> list[tuple[int, str | None, list[str]]]:
    """(line number, key, text lines) for each ## heading after ``start``; a heading without a readable
    key has the key None and ``[""]`` as text; text before the first heading is one entry with key None
    and no text lines."""
    sections: list[tuple[int, str | None, list[str]]] = []
    for number, line in enumerate(lines[start:], start=start + 1):
        if line.startswith(SECTION):
            found = _SECTION.match(line)
            sections.append((number, found.group(1), []) if found else (number, None, [""]))
        elif sections and sections[-1][1] is not None:
            sections[-1][2].append(line)
        elif not sections and trim(line):
            sections.append((number, None, []))
    return sections
