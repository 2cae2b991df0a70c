"""A problem's published outcome split into its measures: a lead-in, then one measure per marker or clause.

How an outcome is split into measures:

* Markers come in families: ``N是``/``N要`` with N a Chinese numeral (一是, 二是, 三要…; 是 and 要 may mix),
  ``第N，`` (第一，第二，), ``（N）`` in digits or Chinese numerals, circled numbers (①②③) and numbered lines
  (``1.``, ``1、``, ``1)`` at the start of a line). The family is the one whose first marker (number 1)
  comes first; only its markers split.
* A marker counts only at the very start of the outcome or right after a sentence end (。；：！？ and their
  half-width forms) or a line break — a numbered line only at the start of a line — and only when its
  number is the next of the enumeration (1 first, then 2, 3…). So ``第二天``, ``统一要求``,
  ``一方面…另一方面`` never split, and a sub-list 一要/二要 inside 二是 does not restart the enumeration
  (it is reported as a stray marker).
* Text before the first marker is the problem's ``outcome_lead_in``.
* Without markers, an outcome whose first sentence announces ``N个K`` (``“四个到位”``) and whose rest is
  exactly N clauses separated by ``；``, each opening with a phrase ending in K (思想认识到位，…；理论学习到位，…),
  becomes N measures with marker ``""`` after that lead-in sentence. Any other unenumerated outcome is one
  measure with marker ``""``.
* Each measure's text runs up to and including the punctuation that ends it; the comma after ``第一`` is the
  marker's separator. So ``outcome_lead_in + Σ(marker + separator + text)`` gives back the published outcome
  (line breaks between measures aside).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class _Family:
    """One way of enumerating measures: its marker pattern and how a marker's number is read."""

    name: str
    pattern: re.Pattern[str]
    line_start: bool = False  # markers count only at the start of a line (numbered lines)

    def number(self, match: re.Match[str]) -> int | None:
        value = match.group("num")
        if value.isdecimal():
            return int(value)
        if value in CIRCLED:
            return CIRCLED.index(value) + 1
        return chinese_number(value)


CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
FAMILIES = (
    _Family("shi", MARKER_RE),
    _Family("di", re.compile(r"第(?P<num>[一二三四五六七八九十]{1,3})(?P<sep>[，,、：:])")),
    _Family("paren", re.compile(r"[（(](?P<num>\d{1,2}|[一二三四五六七八九十]{1,3})[）)]")),
    _Family("circled", re.compile(rf"(?P<num>[{CIRCLED}])")),
    _Family("numbered", re.compile(r"(?P<num>\d{1,2})(?:[.．、](?!\d)|\s*[)）])"), line_start=True),
)


@dataclass
class _Split:
    lead_in: str
    measures: list[tuple[str, str]]  # (marker, text)
    stray_markers: list[str]
    separators: list[str] = field(default_factory=list)  # what follows each marker (the ， of 第一，)


def _at_boundary(text: str, index: int, line_start: bool = False) -> bool:
    """True at the start of the outcome or right after a sentence end / line break (spaces skipped)."""
    j = index - 1
    while j >= 0 and text[j] in " \t\u3000":
        j -= 1
    if line_start:
        return j < 0 or text[j] == "\n"
    return j < 0 or text[j] in SENTENCE_END or text[j] == "\n"


def _family(text: str) -> _Family | None:
    """The family whose first marker (number 1) opens an enumeration earliest in the text."""
    best: tuple[int, _Family] | None = None
    for family in FAMILIES:
        for match in family.pattern.finditer(text):
            if family.number(match) == 1 and _at_boundary(text, match.start(), family.line_start):
                if best is None or match.start() < best[0]:
                    best = (match.start(), family)
                break
    return best[1] if best else None


def split_outcome(text: str) -> _Split:
    """Split a problem's outcome text into (lead-in, [(marker, text)…]); see the module docstring."""
    family = _family(text)
    cuts: list[tuple[int, int, str, str]] = []  # (start, end of marker, marker, separator)
    stray: list[str] = []
    expected = 1
    for match in family.pattern.finditer(text) if family else ():
        if not _at_boundary(text, match.start(), family.line_start if family else False):
            continue
        separator = match.groupdict().get("sep") or ""
        marker = match.group(0)[: len(match.group(0)) - len(separator)]
        if family and family.number(match) == expected:
            cuts.append((match.start(), match.end(), marker, separator))
            expected += 1
        else:
            stray.append(match.group(0))
    if cuts:
        lead_in = text[: cuts[0][0]].strip()
        measures = []
        for position, (_start, end, marker, _separator) in enumerate(cuts):
            stop = cuts[position + 1][0] if position + 1 < len(cuts) else len(text)
            measures.append((marker, text[end:stop].strip()))
        return _Split(lead_in, measures, stray, [cut[3] for cut in cuts])
    counted = _split_counted(text)
    if counted is not None:
        return _Split(counted[0], [("", part) for part in counted[1]], stray, ["" for _ in counted[1]])
    return _Split("", [("", text)] if text else [], stray, [""] if text else [])


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
