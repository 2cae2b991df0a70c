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


# An equal run this short between two changes is a coincidence (a 道 or 处 the old and new text happen to
# share), not something kept: it is shown as part of the change, so the reader sees whole phrases.
COINCIDENCE = 3


def _marked(before: str, after: str) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    runs: list[tuple[bool, str, str]] = []  # (changed, before's text, after's text)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = op != "equal"
        if runs and changed == runs[-1][0]:
            runs[-1] = (changed, runs[-1][1] + before[i1:i2], runs[-1][2] + after[j1:j2])
        else:
            runs.append((changed, before[i1:i2], after[j1:j2]))
    merged: list[tuple[bool, str, str]] = []
    for index, run in enumerate(runs):
        inside = 0 < index < len(runs) - 1
        if not run[0] and inside and len(run[1]) < COINCIDENCE:
            run = (True, run[1], run[2])
        if merged and merged[-1][0] and run[0]:
            merged[-1] = (True, merged[-1][1] + run[1], merged[-1][2] + run[2])
        else:
            merged.append(run)
    left = tuple(Piece(text, changed) for changed, text, _ in merged if text)
    right = tuple(Piece(text, changed) for changed, _, text in merged if text)
    return left, right


def notice_diff(before: str, after: str, *, context: int = 1) -> list[DiffRow]:
    """The rows that show how ``after`` differs from ``before``: each changed passage (the sentences
    between two equal ones) side by side with the differing characters marked, passages only one side
    has, ``context`` equal sentences around each change and the other equal runs folded into one
    ``skipped`` row."""
    left, right = sentences(before), sentences(after)
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += _context_rows(left[i1:i2], i1 == j1 == 0, (i2, j2) == (len(left), len(right)), context)
            continue
        # A changed passage is one row, the characters compared across it: an edit that moves a sentence
        # boundary (a 。 added or dropped) still shows only what was typed.
        rows.append(
            DiffRow("changed", *_marked("".join(left[i1:i2]), "".join(right[j1:j2])))
            if op == "replace"
            else DiffRow("removed", before=(Piece("".join(left[i1:i2]), True),))
            if op == "delete"
            else DiffRow("added", after=(Piece("".join(right[j1:j2]), True),))
        )
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
