"""A published progress notice (整改进展情况的通报) parsed into structured data.

``parse_notice(text)`` is pure: it turns the notice's text into a ``ParsedNotice`` (round metadata,
problems with their measures, the statistics paragraph, the contact block) and lists every line it could
not place, with its line number. ``tasks.exchange.notice_import`` turns that into a plan and its
reports. See docs/importing.md for the rules.

How the 整改成效 text is split into measures: ``tasks.exchange.notice_outcome``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tasks.exchange.notice_outcome import CN_NUM, MARKER_RE, chinese_number, split_outcome

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
    _BodyReader(notice, body).read(body)


class _BodyReader:
    """The body of a notice, paragraph by paragraph: sections, problems, their descriptions and outcomes.

    Two styles: headings (一、<title>。<description> then 整改成效：…) or items (1.关于“…”问题的整改 under
    a section whose heading names the 整改 progress). Statistics may stand anywhere; anything else that
    belongs to no problem is listed as unplaced.
    """

    def __init__(self, notice: ParsedNotice, body: list[_Para]) -> None:
        self.notice = notice
        self.items_style = any(ITEM_RE.match(p.text) for p in body)
        notice.style = "items" if self.items_style else "headings"
        self.problem: ParsedProblem | None = None
        self.description: list[str] = []
        self.outcome: list[str] = []
        self.outcome_line = 0
        self.in_progress_section = (
            not any(HEADING_RE.match(p.text) for p in body) if self.items_style else True
        )

    def read(self, body: list[_Para]) -> None:
        for para in body:
            self.paragraph(para)
        self.finish()
        if self.items_style:
            for problem in self.notice.problems:
                if not problem.label and problem.description:
                    # Item notices often print the outcome right under the item, with no label.
                    _fill_measures(self.notice, problem, problem.description, problem.line + 1)
                    problem.description = ""

    def paragraph(self, para: _Para) -> None:
        heading = HEADING_RE.match(para.text)
        label = LABEL_RE.match(para.text)
        if self.items_style and heading and chinese_number(heading.group("num")):
            self.section(para, heading.group("rest"))
        elif self.start_problem(para, heading, label):
            pass
        elif self.problem is None or not self.in_progress_section:
            self.outside(para)
        else:
            self.inside(para, label)

    def finish(self) -> None:
        """Close the problem being read: its description and its outcome split into measures."""
        problem = self.problem
        if problem is None:
            return
        if self.description:
            problem.description = "\n".join(d for d in [problem.description, *self.description] if d)
        if self.outcome:
            _fill_measures(self.notice, problem, "\n".join(self.outcome), self.outcome_line)
        self.problem, self.description, self.outcome = None, [], []

    def section(self, para: _Para, title: str) -> None:
        """A section heading of an items-style notice: only the 整改 progress section holds problems."""
        self.finish()
        self.in_progress_section = bool(SECTION_PROGRESS_RE.search(title))
        if not self.in_progress_section:
            self.notice.unplaced.append(
                Unplaced(para.line, para.text, "section other than the 整改进展 section")
            )

    def start_problem(self, para: _Para, heading: re.Match[str] | None, label: re.Match[str] | None) -> bool:
        """Whether the paragraph opens the next problem (一、… or 1. …); a number out of turn is a warning."""
        opening = (ITEM_RE.match(para.text) if self.items_style else heading) if not label else None
        if opening is None or not self.in_progress_section:
            return False
        number = int(opening.group("num")) if self.items_style else chinese_number(opening.group("num"))
        if number is None:
            return False
        self.finish()
        expected = len(self.notice.problems) + 1
        if number != expected:
            self.notice.warnings.append(
                Unplaced(para.line, para.text, f"problem numbered {number}, expected {expected}")
            )
        self.problem = _start_problem(opening.group("rest"), expected, para.line, self.items_style)
        self.notice.problems.append(self.problem)
        return True

    def outside(self, para: _Para) -> None:
        """A paragraph outside any problem: the statistics, or an unplaced line."""
        notice = self.notice
        if is_statistics(para.text) and not notice.statistics:
            notice.statistics = parse_statistics(para.text)
            notice.statistics["placement"] = "before_problems" if not notice.problems else "after_problems"
        elif self.in_progress_section or self.items_style:
            reason = (
                "text outside any problem" if self.in_progress_section else "in a section other than 整改进展"
            )
            notice.unplaced.append(Unplaced(para.line, para.text, reason))
        else:
            notice.unplaced.append(Unplaced(para.line, para.text, "text outside any problem"))

    def inside(self, para: _Para, label: re.Match[str] | None) -> None:
        """A paragraph of the problem being read: its outcome label, its outcome, or its description."""
        problem = self.problem
        assert problem is not None
        if label and not problem.label:
            problem.label = label.group("label")
            self.outcome_line = para.line
            if label.group("rest"):
                self.outcome.append(label.group("rest"))
        elif not problem.label:
            self.description.append(para.text)
        elif is_statistics(para.text) and not self.notice.statistics and not MARKER_RE.match(para.text):
            self.notice.statistics = parse_statistics(para.text)
            self.notice.statistics["placement"] = "after_problems"
        else:
            if not self.outcome:
                self.outcome_line = para.line
            self.outcome.append(para.text)


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
