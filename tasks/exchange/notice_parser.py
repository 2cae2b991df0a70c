"""A published progress notice (整改进展情况的通报) read back into a ledger.

``parse_notice(text)`` is pure: it turns the notice's text into a ``ParsedNotice`` (round metadata,
problems with their measures, the statistics paragraph, the contact block) and lists every line it could
not place, with its line number. ``notice_to_plan`` turns that into the plan structure that
``tasks.ledger.plan_load`` loads, and ``notice_reports`` gives one report per measure (the measure's text, dated by
the caller). See docs/importing.md for the rules.

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
import textwrap
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from models.errors import InvalidPlan, PlanIssue

if TYPE_CHECKING:
    from models.db import Database
    from models.workdays import WorkingCalendar
    from tasks.ledger.plan_schema import PlanChanges, PlanDocument

# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unplaced:
    """A line of the notice the importer could not place, with why."""

    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}: {self.text}"


@dataclass
class ParsedMeasure:
    """One measure of a problem's 整改成效, as published."""

    marker: str
    text: str
    line: int


@dataclass
class ParsedProblem:
    """One fed-back problem with its outcome split into measures."""

    ordinal: int
    title: str
    description: str
    line: int
    label: str = ""  # 整改成效, 整改情况, 整改进展… ("" when the problem has no labelled outcome)
    outcome_lead_in: str = ""
    measures: list[ParsedMeasure] = field(default_factory=list)


@dataclass
class ParsedContact:
    """The closing contact block."""

    phone: str | None = None
    address: str | None = None
    postcode: str | None = None
    email: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass
class ParsedNotice:
    """Everything a notice says, as structured data."""

    issuing_org: str = ""
    title: str = ""
    preamble: str = ""
    preamble_line: int = 0
    inspecting_body: str | None = None
    inspected_short: str | None = None
    inspection_kind: str | None = None
    feedback_recipient: str | None = None
    inspection_start: date | None = None
    inspection_end: date | None = None
    feedback_date: date | None = None
    statistics: dict[str, Any] = field(default_factory=dict)
    problems: list[ParsedProblem] = field(default_factory=list)
    closing: str = ""
    contact: ParsedContact = field(default_factory=ParsedContact)
    signature: str | None = None
    notice_date: date | None = None
    style: str = "headings"  # "headings" (一、…) or "items" (1.关于“…”问题的整改 under a section)
    unplaced: list[Unplaced] = field(default_factory=list)
    warnings: list[Unplaced] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return sorted({p.label for p in self.problems if p.label})


# -- patterns -----------------------------------------------------------------------------------

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
OPEN_QUOTES = "“「『《（(【"
CLOSE_QUOTES = "”」』》）)】"

HEADING_RE = re.compile(rf"^(?P<num>[{CN_NUM}]+)\s*[、．.]\s*(?P<rest>.*)$")
ITEM_RE = re.compile(r"^[（(]?(?P<num>\d{1,3})\s*(?:[.．、]|[）)])\s*(?P<rest>.+)$")
ITEM_TITLE_RE = re.compile(
    r"^关于\s*[“\"「]?(?P<title>.+?)[”\"」]?\s*(?:等)?问题的?整改(?:情况|进展|落实情况)?\s*[。.]?\s*"
)
SECTION_PROGRESS_RE = re.compile(r"整改.*(?:情况|成效|进展)|(?:情况|成效|进展).*整改")
LABEL_RE = re.compile(
    r"^(?P<label>整改成效|整改情况|整改进展情况|整改进展|整改落实情况|整改措施及成效|整改结果)\s*[：:]\s*(?P<rest>.*)$"
)
MARKER_RE = re.compile(rf"(?P<num>[{CN_NUM}]{{1,3}})(?P<suffix>是|要)")
COUNTED_RE = re.compile(r"[“\"「]?(?P<num>[一二两三四五六七八九十])个(?P<key>[^”\"」，,。；;]{1,6})[”\"」]")

DATE = r"(?:(?P<{p}y>\d{{4}})\s*年\s*)?(?P<{p}m>\d{{1,2}})\s*月\s*(?P<{p}d>\d{{1,2}})\s*日"
RANGE_RE = re.compile(DATE.format(p="s") + r"\s*(?:至|到|—|－|-|～|~)\s*" + DATE.format(p="e"))
FEEDBACK_RE = re.compile(
    r"(?:(?P<fy>\d{4})\s*年\s*)?(?P<fm>\d{1,2})\s*月\s*(?P<fd>\d{1,2})\s*日\s*[，,]?\s*"
    r"(?P<body>[^，,。；;]*?)向(?P<recipient>[^，,。；;]+?)(?:集中)?反馈"
)
INSPECTION_RE = re.compile(
    r"[，,]\s*(?P<body>[^，,。；;]+?)对(?P<target>[^，,。；;]+?)(?:进行了|开展了)(?P<kind>[^，,。；;]+)"
)
BASIS_RE = re.compile(r"根据(?P<body>[^，,。；;]+?(?:巡察组|巡视组|审计组|督察组|督查组))")
ISO_DATE_LINE_RE = re.compile(r"^[（(]?\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*[）)]?$")

CLOSING_RE = re.compile(r"联系电话|电子邮箱|电子信箱|邮政信箱|邮政编码|欢迎.{0,20}监督")
PHONE_RE = re.compile(r"(?:联系电话|电话|举报电话)\s*[：:]\s*(?P<v>[0-9０-９（）()\-－—\s、]+[0-9０-９])")
ADDRESS_RE = re.compile(
    r"(?:邮政信箱|通信地址|通讯地址|来信地址|邮寄地址|地址)\s*[：:]\s*(?P<v>[^，,；;。]+)"
)
POSTCODE_RE = re.compile(r"(?:邮政编码|邮编)\s*[：:]\s*(?P<v>\d{6})")
EMAIL_RE = re.compile(
    r"(?:电子邮箱|电子信箱|邮箱)\s*[：:]\s*(?P<v>[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+[A-Za-z0-9])"
)

STATS_RATE_RE = re.compile(r"完成率\s*(?:为|达到?|是)?\s*(?P<v>\d+(?:\.\d+)?)\s*[%％]")
STATS_PATTERNS: dict[str, re.Pattern[str]] = {
    "problems": re.compile(r"(?P<v>\d+)\s*个(?:具体|反馈)?问题"),
    "measures": re.compile(r"(?P<v>\d+)\s*(?:项|条)(?:整改)?(?:措施|任务)"),
    "completed": re.compile(r"(?:已)?(?:完成|整改完成|基本完成)(?:整改)?\s*(?P<v>\d+)\s*(?:个|项)"),
    "in_progress": re.compile(r"(?:正在整改|正在推进|持续整改|推进中|整改中)\s*(?P<v>\d+)\s*(?:个|项)"),
}


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


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _make_date(y: str | None, m: str, d: str, default_year: int | None) -> date | None:
    year = int(y) if y else default_year
    if year is None:
        return None
    try:
        return date(year, int(m), int(d))
    except ValueError:
        return None


# -- paragraphs ---------------------------------------------------------------------------------


@dataclass
class _Para:
    line: int
    text: str


def _paragraphs(text: str) -> list[_Para]:
    """Non-blank lines, stripped (ASCII and ideographic spaces, BOM), with their 1-based line numbers."""
    paras = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        stripped = raw.strip(" \t\u3000\ufeff\xa0")
        if stripped:
            paras.append(_Para(number, stripped))
    return paras


def _between_digits(text: str, index: int) -> bool:
    return 0 < index < len(text) - 1 and text[index - 1].isdigit() and text[index + 1].isdigit()


def _split_title(text: str) -> tuple[str, str]:
    """``学习未能真正“入脑入心”。在学习…`` → (title, description): the first 。 outside quotes ends the title."""
    depth = 0
    ascii_open = False
    for index, ch in enumerate(text):
        if ch in OPEN_QUOTES:
            depth += 1
        elif ch in CLOSE_QUOTES:
            depth = max(0, depth - 1)
        elif ch == '"':
            ascii_open = not ascii_open
        elif (
            depth == 0 and not ascii_open and (ch == "。" or (ch == "." and not _between_digits(text, index)))
        ):
            return text[:index].strip(), text[index + 1 :].strip()
    return text.rstrip("。.").strip(), ""


# -- outcomes → measures ------------------------------------------------------------------------


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


# -- statistics, preamble, closing --------------------------------------------------------------


def is_statistics(text: str) -> bool:
    """A statistics paragraph: names a number of problems (or measures) and a completion rate."""
    plain = _nfkc(text)
    return bool(STATS_RATE_RE.search(plain) and re.search(r"\d+\s*[个项]", plain))


def parse_statistics(text: str) -> dict[str, Any]:
    """``共反馈问题9个…完成整改7个…完成率77.8%`` → {problems: 9, completed: 7, completion_rate: 77.8, text: …}."""
    plain = _nfkc(text)
    figures: dict[str, Any] = {}
    for name, pattern in STATS_PATTERNS.items():
        match = pattern.search(plain)
        if match:
            figures[name] = int(match.group("v"))
    if "problems" not in figures:
        # 共反馈问题9个: the count follows the noun.
        match = re.search(r"问题\s*(?:共|总计|合计)?\s*(?P<v>\d+)\s*个", plain)
        if match:
            figures["problems"] = int(match.group("v"))
    rate = STATS_RATE_RE.search(plain)
    if rate:
        value = float(rate.group("v"))
        figures["completion_rate"] = int(value) if value.is_integer() else value
    figures["text"] = text
    return figures


def _parse_preamble(notice: ParsedNotice, text: str) -> None:
    plain = _nfkc(text)
    span = RANGE_RE.search(plain)
    if span:
        start = _make_date(span.group("sy"), span.group("sm"), span.group("sd"), None)
        notice.inspection_start = start
        end = _make_date(span.group("ey"), span.group("em"), span.group("ed"), start.year if start else None)
        if end and start and end < start and not span.group("ey"):
            end = end.replace(year=end.year + 1)
        notice.inspection_end = end
        rest = plain[span.end() :]
        inspection = INSPECTION_RE.match(rest) or INSPECTION_RE.search(rest)
        if inspection:
            notice.inspecting_body = inspection.group("body").strip()
            notice.inspected_short = inspection.group("target").strip()
            notice.inspection_kind = inspection.group("kind").strip()
        feedback = FEEDBACK_RE.search(rest)
        if feedback:
            default_year = end.year if end else None
            notice.feedback_date = _make_date(
                feedback.group("fy"), feedback.group("fm"), feedback.group("fd"), default_year
            )
            notice.feedback_recipient = feedback.group("recipient").strip()
            if not notice.inspecting_body and feedback.group("body").strip():
                notice.inspecting_body = feedback.group("body").strip()
    if not notice.inspecting_body:
        basis = BASIS_RE.search(plain)
        if basis:
            notice.inspecting_body = basis.group("body")


def _parse_contact(text: str) -> ParsedContact:
    plain = _nfkc(text)
    contact = ParsedContact()
    if match := PHONE_RE.search(plain):
        contact.phone = match.group("v").strip()
    if match := ADDRESS_RE.search(text):
        contact.address = match.group("v").strip()
    if match := POSTCODE_RE.search(plain):
        contact.postcode = match.group("v")
    if match := EMAIL_RE.search(plain):
        contact.email = match.group("v")
    return contact


def _looks_like_preamble(text: str) -> bool:
    plain = _nfkc(text)
    return bool(RANGE_RE.search(plain)) and bool(re.search(r"巡察|巡视|审计|督察|督查", plain))


def _is_signature(text: str) -> bool:
    return len(text) <= 60 and not any(ch in text for ch in "，,。；;：:") and not ITEM_RE.match(text)


# -- the parser ---------------------------------------------------------------------------------


def parse_notice(text: str) -> ParsedNotice:
    """Parse a published notice into a ``ParsedNotice``; unplaced lines are listed, never dropped."""
    notice = ParsedNotice()
    paras = _paragraphs(text)
    pre = next((i for i, p in enumerate(paras) if _looks_like_preamble(p.text)), None)
    if pre is None:
        notice.unplaced.extend(Unplaced(p.line, p.text, "no preamble (巡察 dates) found") for p in paras)
        return notice
    _parse_header(notice, paras[:pre])
    notice.preamble = paras[pre].text
    notice.preamble_line = paras[pre].line
    _parse_preamble(notice, paras[pre].text)
    _extract_preamble_statistics(notice)

    close = next(
        (
            i
            for i in range(pre + 1, len(paras))
            if CLOSING_RE.search(paras[i].text) and not LABEL_RE.match(paras[i].text)
        ),
        len(paras),
    )
    _parse_body(notice, paras[pre + 1 : close])
    _parse_closing(notice, paras[close:])
    return notice


def _parse_header(notice: ParsedNotice, header: list[_Para]) -> None:
    title_index = next(
        (i for i, p in enumerate(header) if "关于" in p.text or re.search(r"(通报|公告|通告|报告)$", p.text)),
        None,
    )
    if title_index is None:
        if header:
            notice.issuing_org = header[0].text
            for p in header[1:]:
                notice.unplaced.append(Unplaced(p.line, p.text, "header line"))
        return
    title = header[title_index].text
    before = [p.text for p in header[:title_index]]
    if not before and "关于" in title and not title.startswith("关于"):
        org, _, rest = title.partition("关于")
        before, title = [org], "关于" + rest
    notice.issuing_org = "".join(before)
    notice.title = title
    for p in header[title_index + 1 :]:
        match = ISO_DATE_LINE_RE.match(_nfkc(p.text))
        if match and notice.notice_date is None:
            notice.notice_date = _make_date(match.group(1), match.group(2), match.group(3), None)
        else:
            notice.unplaced.append(Unplaced(p.line, p.text, "header line after the title"))


def _extract_preamble_statistics(notice: ParsedNotice) -> None:
    """A statistics sentence inside the preamble paragraph moves to the round's statistics."""
    if not is_statistics(notice.preamble):
        return
    sentences = re.findall(r"[^。]*。|[^。]+$", notice.preamble)
    stats = [
        s
        for s in sentences
        if re.search(r"\d+\s*(?:个|项)|完成率", _nfkc(s)) and not RANGE_RE.search(_nfkc(s))
    ]
    if not stats:
        return
    notice.statistics = parse_statistics("".join(stats))
    notice.statistics["placement"] = "preamble"
    notice.preamble = "".join(s for s in sentences if s not in stats)


def _parse_body(notice: ParsedNotice, body: list[_Para]) -> None:
    items_style = any(ITEM_RE.match(p.text) for p in body)
    notice.style = "items" if items_style else "headings"
    problem: ParsedProblem | None = None
    description: list[str] = []
    outcome: list[str] = []
    outcome_line = 0
    in_progress_section = not any(HEADING_RE.match(p.text) for p in body) if items_style else True

    def finish() -> None:
        nonlocal problem, description, outcome
        if problem is None:
            return
        if description:
            problem.description = "\n".join(d for d in [problem.description, *description] if d)
        if outcome:
            _fill_measures(notice, problem, "\n".join(outcome), outcome_line)
        problem, description, outcome = None, [], []

    for para in body:
        text = para.text
        heading = HEADING_RE.match(text)
        item = ITEM_RE.match(text)
        label = LABEL_RE.match(text)
        if items_style and heading and chinese_number(heading.group("num")):
            finish()
            in_progress_section = bool(SECTION_PROGRESS_RE.search(heading.group("rest")))
            if not in_progress_section:
                notice.unplaced.append(Unplaced(para.line, text, "section other than the 整改进展 section"))
            continue
        new_problem = (item if items_style else heading) if not label else None
        if new_problem and in_progress_section:
            number = (
                int(new_problem.group("num")) if items_style else chinese_number(new_problem.group("num"))
            )
            if number is not None:
                finish()
                expected = len(notice.problems) + 1
                if number != expected:
                    notice.warnings.append(
                        Unplaced(para.line, text, f"problem numbered {number}, expected {expected}")
                    )
                problem = _start_problem(new_problem.group("rest"), expected, para.line, items_style)
                notice.problems.append(problem)
                continue
        if problem is None or not in_progress_section:
            if is_statistics(text) and not notice.statistics:
                notice.statistics = parse_statistics(text)
                notice.statistics["placement"] = (
                    "before_problems" if not notice.problems else "after_problems"
                )
            elif in_progress_section or items_style:
                reason = (
                    "text outside any problem" if in_progress_section else "in a section other than 整改进展"
                )
                notice.unplaced.append(Unplaced(para.line, text, reason))
            else:
                notice.unplaced.append(Unplaced(para.line, text, "text outside any problem"))
            continue
        if label and not problem.label:
            problem.label = label.group("label")
            outcome_line = para.line
            if label.group("rest"):
                outcome.append(label.group("rest"))
            continue
        if problem.label:
            if is_statistics(text) and not notice.statistics and not MARKER_RE.match(text):
                notice.statistics = parse_statistics(text)
                notice.statistics["placement"] = "after_problems"
                continue
            if not outcome:
                outcome_line = para.line
            outcome.append(text)
        else:
            description.append(text)
    finish()
    if items_style:
        for p in notice.problems:
            if not p.label and p.description:
                # Item notices often print the outcome right under the item, with no label.
                _fill_measures(notice, p, p.description, p.line + 1)
                p.description = ""


def _start_problem(rest: str, ordinal: int, line: int, items_style: bool) -> ParsedProblem:
    if items_style:
        match = ITEM_TITLE_RE.match(rest)
        if match:
            return ParsedProblem(ordinal, match.group("title"), rest[match.end() :].strip(), line)
    title, description = _split_title(rest)
    return ParsedProblem(ordinal, title, description, line)


def _fill_measures(notice: ParsedNotice, problem: ParsedProblem, text: str, line: int) -> None:
    split = split_outcome(text)
    problem.outcome_lead_in = split.lead_in
    problem.measures = [ParsedMeasure(marker, body, line) for marker, body in split.measures]
    for marker in split.stray_markers:
        notice.warnings.append(
            Unplaced(
                line, marker, f"problem {problem.ordinal}: marker {marker} out of sequence, kept in the text"
            )
        )
    for measure in problem.measures:
        if not measure.text.strip():
            notice.warnings.append(
                Unplaced(line, measure.marker, f"problem {problem.ordinal}: empty measure")
            )


def _parse_closing(notice: ParsedNotice, tail: list[_Para]) -> None:
    closing: list[str] = []
    for para in tail:
        date_match = ISO_DATE_LINE_RE.match(_nfkc(para.text))
        if date_match and notice.notice_date is None:
            notice.notice_date = _make_date(
                date_match.group(1), date_match.group(2), date_match.group(3), None
            )
        elif CLOSING_RE.search(para.text) or (closing and not _is_signature(para.text)):
            if notice.signature is None and notice.notice_date is None:
                closing.append(para.text)
            else:
                notice.unplaced.append(Unplaced(para.line, para.text, "text after the signature"))
        elif _is_signature(para.text) and notice.signature is None:
            notice.signature = para.text
        else:
            notice.unplaced.append(Unplaced(para.line, para.text, "text after the closing"))
    notice.closing = "".join(closing)
    notice.contact = _parse_contact(notice.closing)


def outcome_text(problem: ParsedProblem) -> str:
    """The outcome as published: lead-in followed by each measure's marker and text."""
    return problem.outcome_lead_in + "".join(m.marker + m.text for m in problem.measures)


# -- to a plan ----------------------------------------------------------------------------------

CONTACT_START_RE = re.compile(
    r"联系电话|举报电话|电话[：:]|邮政信箱|通信地址|通讯地址|来信地址|邮政编码|电子邮箱|电子信箱"
)


@dataclass
class NoticeImport:
    """A parsed notice as a plan, with one report per measure and what a coordinator must still do."""

    source: str
    notice: ParsedNotice
    plan: PlanDocument
    reports: list[dict[str, Any]]  # items of a reports file (docs/plan-format.md)
    unassigned: list[str]  # measure codes without an owner unit

    @property
    def leftovers(self) -> list[Unplaced]:
        """Unplaced lines and warnings, in line order: what ``--strict`` refuses."""
        return sorted([*self.notice.unplaced, *self.notice.warnings], key=lambda u: u.line)

    def strict_issues(self) -> list[PlanIssue]:
        return [PlanIssue(f"{self.source}:{u.line}", "", f"{u.reason}: {u.text}") for u in self.leftovers]

    def plan_yaml(self) -> str:
        """The plan as YAML, headed by comments listing unassigned measures and unplaced lines."""
        from tasks.ledger.plan_export import dump_plan

        head = [f"# Imported from {self.source} by `zhenggai import notice`."]
        if self.unassigned:
            head.append(
                "# Owners are not stated in the notice: fill in lead_unit (and units:) for these measures,"
            )
            head.append("# or load with `zhenggai plan load --allow-unassigned`:")
            head.extend("#   " + line for line in textwrap.wrap(", ".join(self.unassigned), 100))
        if self.leftovers:
            head.append("# Not placed (line: reason: text):")
            head.extend(f"#   {u.line}: {u.reason}: {u.text}" for u in self.leftovers)
        return "\n".join(head) + "\n" + dump_plan(self.plan)

    def reports_yaml(self) -> str:
        """The reports as a reports file (``zhenggai report load``)."""
        import yaml

        data = {"round": self.plan.round.code, "reports": self.reports}
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def _default_round_code(source: str, notice: ParsedNotice) -> str:
    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", stem) and stem.lower() not in {
        "notice",
        "stdin",
        "-",
    }:
        return stem
    if notice.feedback_date:
        return f"notice-{notice.feedback_date:%Y%m%d}"
    return "notice"


def _notice_options(notice: ParsedNotice, round_spec: dict[str, Any]) -> dict[str, Any]:
    """Template options under which the notice generator prints this notice's fixed parts as published."""
    from models.notice import DEFAULT_CLOSING, DEFAULT_TITLE, NOTICE_LABELS, RoundInfo, build_preamble

    options: dict[str, Any] = {}
    labels = notice.labels
    if len(labels) == 1 and labels[0] in NOTICE_LABELS and labels[0] != "整改成效":
        options["label"] = labels[0]
    if notice.title and notice.title != DEFAULT_TITLE:
        options["title"] = notice.title
    info = RoundInfo(
        code=round_spec["code"],
        inspected_org=round_spec["inspected_org"],
        inspecting_body=round_spec["inspecting_body"],
        inspection_start=round_spec["inspection_start"],
        inspection_end=round_spec["inspection_end"],
        feedback_date=round_spec["feedback_date"],
        inspected_short=round_spec["inspected_short"],
        feedback_recipient=round_spec["feedback_recipient"],
        inspection_kind=round_spec["inspection_kind"],
    )
    if notice.preamble and notice.preamble != build_preamble(info):
        options["preamble"] = notice.preamble
    start = CONTACT_START_RE.search(notice.closing)
    closing = notice.closing[: start.start()] if start else notice.closing
    if closing.strip() and closing != DEFAULT_CLOSING:
        options["closing"] = closing
    placement = notice.statistics.get("placement")
    if placement in ("preamble", "before_problems"):
        options["statistics"] = "after_preamble"
    elif placement == "after_problems":
        options["statistics"] = "before_closing"
    if notice.signature and notice.notice_date is None:
        options["date"] = False
    return options


def notice_to_plan(
    notice: ParsedNotice,
    *,
    source: str = "notice.txt",
    round_code: str | None = None,
    code_prefix: str | None = None,
    reported_on: date,
    timezone: str = "Asia/Shanghai",
) -> NoticeImport:
    """Build the plan (round, problems, unassigned measures) and one report per measure, dated ``reported_on``.

    Raises ``InvalidPlan`` when the notice lacks what a round needs (inspecting body, dates).
    """
    from datetime import time
    from zoneinfo import ZoneInfo

    from pydantic import ValidationError

    from tasks.ledger.plan_schema import PlanDocument, issues_from_validation

    code = round_code or _default_round_code(source, notice)
    prefix = code_prefix or code
    preamble_where = f"{source}:{notice.preamble_line or 1}"
    missing = [
        name
        for name in ("inspecting_body", "inspection_start", "inspection_end", "feedback_date")
        if getattr(notice, name) is None
    ]
    issues = [PlanIssue(preamble_where, f"round.{name}", "not found in the preamble") for name in missing]
    if not notice.issuing_org:
        issues.append(PlanIssue(f"{source}:1", "round.inspected_org", "no issuing organisation line"))
    if issues:
        raise InvalidPlan(issues, source)
    round_spec: dict[str, Any] = {
        "code": code,
        "title": f"{notice.inspecting_body}{notice.inspection_kind or '常规巡察'}反馈问题整改",
        "inspected_org": notice.issuing_org,
        "inspected_short": notice.inspected_short or "我局",
        "feedback_recipient": notice.feedback_recipient or "我局党组",
        "inspecting_body": notice.inspecting_body,
        "inspection_kind": notice.inspection_kind or "常规巡察",
        "inspection_start": notice.inspection_start,
        "inspection_end": notice.inspection_end,
        "feedback_date": notice.feedback_date,
        "contact": notice.contact.as_dict(),
        "signature": notice.signature,
    }
    round_spec["notice"] = _notice_options(notice, round_spec)
    round_spec["statistics"] = {k: v for k, v in notice.statistics.items() if k != "placement"}
    problems: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    unassigned: list[str] = []
    submitted = datetime.combine(reported_on, time(0, 0), tzinfo=ZoneInfo(timezone))
    period = (
        f"{notice.feedback_date.isoformat()}..{reported_on.isoformat()}"
        if notice.feedback_date and notice.feedback_date <= reported_on
        else None
    )
    for problem in notice.problems:
        measures = []
        for ordinal, measure in enumerate(problem.measures, start=1):
            measure_code = f"{prefix}-{problem.ordinal:02d}-{ordinal}"
            measures.append(
                {"code": measure_code, "marker": measure.marker, "text": measure.text, "lead_unit": None}
            )
            unassigned.append(measure_code)
            report: dict[str, Any] = {"measure": measure_code, "submitted_at": submitted.isoformat()}
            if period:
                report["period"] = period
            report.update({"author": notice.issuing_org, "status": "in_progress", "text": measure.text})
            reports.append(report)
        problems.append(
            {
                "title": problem.title,
                "description": problem.description,
                "outcome_lead_in": problem.outcome_lead_in,
                "measures": measures,
            }
        )
    try:
        plan = PlanDocument.model_validate({"round": round_spec, "problems": problems})
    except ValidationError as error:
        raise InvalidPlan(issues_from_validation(error, lambda path: source), source) from None
    return NoticeImport(source, notice, plan, reports, unassigned)


def import_notice_text(
    text: str,
    *,
    source: str = "notice.txt",
    round_code: str | None = None,
    code_prefix: str | None = None,
    reported_on: date,
    timezone: str = "Asia/Shanghai",
    strict: bool = False,
) -> NoticeImport:
    """Parse a notice and build its plan; with ``strict`` any unplaced line or warning is an ``InvalidPlan``."""
    result = notice_to_plan(
        parse_notice(text),
        source=source,
        round_code=round_code,
        code_prefix=code_prefix,
        reported_on=reported_on,
        timezone=timezone,
    )
    if strict and result.leftovers:
        raise InvalidPlan(result.strict_issues(), source)
    return result


# -- into the ledger ----------------------------------------------------------------------------


@dataclass
class NoticeLoaded:
    """What loading an imported notice did."""

    changes: PlanChanges
    reports_recorded: int
    reports_already_recorded: int


def _report_issue(source: str, measure: str, field: str, message: str) -> PlanIssue:
    return PlanIssue(source, f"report {measure}", f"{field}: {message}")


def load_notice(
    database: Database,
    result: NoticeImport,
    *,
    now: datetime,
    today: date,
    calendar: WorkingCalendar | None = None,
) -> NoticeLoaded:
    """Load the plan (unassigned measures allowed) and record its reports, in one transaction."""
    from tasks.ledger.plan_load import apply_plan
    from tasks.reports.record import (
        FileReport,
        ReportInput,
        file_report_key,
        parse_period,
        record_file_reports,
    )

    actor = f"import notice {result.source.rsplit('/', 1)[-1]}"
    with database.unit_of_work() as session:
        try:
            changes = apply_plan(
                session,
                result.plan,
                where=lambda path: f"{result.source} (plan {'.'.join(str(p) for p in path)})",
                calendar=calendar,
                allow_unassigned=True,
                actor=actor,
                now=now,
            )
        except InvalidPlan as error:
            raise InvalidPlan(error.issues, result.source) from None
        items = []
        for item in result.reports:
            submitted_at = datetime.fromisoformat(item["submitted_at"])
            start, end = parse_period(item.get("period"))
            data = ReportInput(
                measure=item["measure"],
                text=item["text"],
                claimed_status=item["status"],
                period_start=start,
                period_end=end,
                author=item["author"],
                submitted_at=submitted_at,
                idempotency_key=file_report_key(result.plan.round.code, item["measure"], submitted_at),
                source="import",
            )
            place = partial(_report_issue, result.source, item["measure"])
            items.append(FileReport(data, place))
        loaded, issues = record_file_reports(session, items, actor=actor, now=now, today=today)
        if issues:
            raise InvalidPlan(issues, result.source)
        session.commit()
    return NoticeLoaded(changes, loaded.recorded, loaded.already_recorded)
