"""A problem's published 整改成效 split into its measures: a lead-in, then one measure per marker or clause.

How the 整改成效 text is split into measures:

* A marker is ``N是`` or ``N要`` with N a Chinese numeral (一是, 二是, 三要…). It counts only at the very
  start of the outcome or right after a sentence end (。；：！？ and their half-width forms, or a
  paragraph break), and only when N is the next number of the enumeration (1 first, then 2, 3…). So
  ``第二天``, ``统一要求``, ``一方面…另一方面`` never split, and a sub-list 一要/二要 inside 二是 does not
  restart the enumeration (it is reported as a warning).
* Text before the first marker is the problem's ``outcome_lead_in``.
* Without markers, an outcome whose first sentence announces ``N个K`` (``“四个到位”``) and whose rest is
  exactly N clauses separated by ``；``, each opening with a phrase ending in K (思想认识到位，…；理论学习到位，…),
  becomes N measures with marker ``""`` after that lead-in sentence. Any other unenumerated outcome is one
  measure with marker ``""``.
* Each measure's text runs up to and including the punctuation that ends it, so that
  ``outcome_lead_in + Σ(marker + text)`` gives back the published outcome exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_NUM = "零〇一二两三四五六七八九十百"
SENTENCE_END = "。；：！？;:!?"
MARKER_RE = re.compile(rf"(?P<num>[{CN_NUM}]{{1,3}})(?P<suffix>是|要)")
COUNTED_RE = re.compile(r"[“\"「]?(?P<num>[一二两三四五六七八九十])个(?P<key>[^”\"」，,。；;]{1,6})[”\"」]")


def chinese_number(text: str) -> int | None:
    """一 → 1, 十 → 10, 十二 → 12, 二十一 → 21, 一百零三 → 103; None when not a numeral."""
    if not text or any(ch not in CN_NUM for ch in text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = CN_DIGITS[ch]
    return total + current


@dataclass
class _Split:
    lead_in: str
    measures: list[tuple[str, str]]  # (marker, text)
    stray_markers: list[str]


def _at_boundary(text: str, index: int) -> bool:
    """True at the start of the outcome or right after a sentence end / paragraph break (spaces skipped)."""
    j = index - 1
    while j >= 0 and text[j] in " \t\u3000":
        j -= 1
    return j < 0 or text[j] in SENTENCE_END or text[j] == "\n"


def split_outcome(text: str) -> _Split:
    """Split a problem's 整改成效 text into (lead-in, [(marker, text)…]); see the module docstring."""
    cuts: list[tuple[int, int, str]] = []  # (start, end of marker, marker)
    stray: list[str] = []
    expected = 1
    for match in MARKER_RE.finditer(text):
        if not _at_boundary(text, match.start()):
            continue
        number = chinese_number(match.group("num"))
        if number == expected:
            cuts.append((match.start(), match.end(), match.group(0)))
            expected += 1
        else:
            stray.append(match.group(0))
    if cuts:
        lead_in = text[: cuts[0][0]].strip()
        measures = []
        for position, (_start, end, marker) in enumerate(cuts):
            stop = cuts[position + 1][0] if position + 1 < len(cuts) else len(text)
            measures.append((marker, text[end:stop].strip()))
        return _Split(lead_in, measures, stray)
    counted = _split_counted(text)
    if counted is not None:
        return _Split(counted[0], [("", part) for part in counted[1]], stray)
    return _Split("", [("", text)] if text else [], stray)


def _split_counted(text: str) -> tuple[str, list[str]] | None:
    """``坚持“四个到位”…。思想认识到位，…；理论学习到位，…；…`` → (lead-in sentence, the N clauses)."""
    end = text.find("。")
    if end < 0:
        return None
    first = text[: end + 1]
    announced = COUNTED_RE.search(first)
    if announced is None:
        return None
    count = chinese_number(announced.group("num").replace("两", "二"))
    key = announced.group("key")
    rest = text[end + 1 :]
    parts = [part for part in re.split(r"(?<=[；;])", rest) if part]
    if count is None or count < 2 or len(parts) != count:
        return None
    for part in parts:
        opening = re.split(r"[，,：:]", part, maxsplit=1)[0]
        if not opening.endswith(key):
            return None
    return first, parts
