"""Two versions of a notice compared sentence by sentence, the way a reader of Chinese compares them:
a text without line structure to speak of is cut after 。；！？ and at paragraph ends, the sentences are
matched, and within a changed sentence the characters that differ are marked."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

_SENTENCE_END = re.compile(r"(?<=[。；！？])")
RowKind = Literal["same", "changed", "removed", "added", "skipped"]


@dataclass(frozen=True)
class Piece:
    """A run of characters, marked when it differs from the other side."""

    text: str
    changed: bool = False


@dataclass(frozen=True)
class DiffRow:
    """One row of the comparison: a sentence on either side (``skipped``: ``count`` equal sentences)."""

    kind: RowKind
    before: tuple[Piece, ...] = ()
    after: tuple[Piece, ...] = ()
    count: int = 0


def sentences(text: str) -> list[str]:
    """The text's sentences in order: each paragraph (line) cut after 。；！？, blank lines dropped."""
    found: list[str] = []
    for line in text.splitlines():
        found += [part for part in _SENTENCE_END.split(line.strip()) if part.strip()]
    return found


def _marked(before: str, after: str) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    left: list[Piece] = []
    right: list[Piece] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if before[i1:i2]:
            left.append(Piece(before[i1:i2], op != "equal"))
        if after[j1:j2]:
            right.append(Piece(after[j1:j2], op != "equal"))
    return tuple(left), tuple(right)


def notice_diff(before: str, after: str, *, context: int = 1) -> list[DiffRow]:
    """The rows that show how ``after`` differs from ``before``: changed sentences side by side with the
    differing characters marked, sentences only one side has, ``context`` equal sentences around each
    change and the other equal runs folded into one ``skipped`` row."""
    left, right = sentences(before), sentences(after)
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += _context_rows(left[i1:i2], i1 == j1 == 0, (i2, j2) == (len(left), len(right)), context)
            continue
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(paired):
            rows.append(DiffRow("changed", *_marked(left[i1 + k], right[j1 + k])))
        rows += [DiffRow("removed", before=(Piece(s, True),)) for s in left[i1 + paired : i2]]
        rows += [DiffRow("added", after=(Piece(s, True),)) for s in right[j1 + paired : j2]]
    return rows


def _context_rows(same: list[str], at_start: bool, at_end: bool, context: int) -> list[DiffRow]:
    """An equal run: ``context`` sentences after the change before it and before the change after it,
    the rest folded (at the start of the text only the sentences before the first change are kept)."""
    head = 0 if at_start else context
    tail = 0 if at_end else context
    if head + tail >= len(same):
        return [DiffRow("same", (Piece(s),), (Piece(s),)) for s in same]
    shown = [DiffRow("same", (Piece(s),), (Piece(s),)) for s in same]
    folded = [DiffRow("skipped", count=len(same) - head - tail)]
    return shown[:head] + folded + (shown[len(shown) - tail :] if tail else [])
