"""A published progress notice (整改进展情况的通报, 审计整改公告) recognised into structured data.

``parse_source(source)`` is pure: it takes the line stream a container reader made
(``tasks.exchange.notice_source``: plain text, Word or a saved web page) and returns a ``ParsedNotice``:
the round's facts, the problems with their measures, the statistics, the contact block, and every line it
could not place, with its line or paragraph number. ``parse_notice(text)`` does the same for plain text.
``tasks.exchange.notice_import`` turns the result into a plan and its reports. See docs/importing.md.

The structure is recognised once, for every format:

* **header** (issuer and title), **preamble** (the paragraph that names the inspection, its dates and
  the feedback), lines between them and the first heading (statistics, or reported);
* **body**: problem headings (一、 （一） 1. 1、 （1） 第一，), possibly under section headings
  (一、主要问题的整改进展情况); a problem's title (``关于“…”的问题``, a bold lead sentence, the text up
  to the first 。, or a heading on its own line), its description, an outcome label (整改成效：… or none)
  and its outcome, split into measures by ``tasks.exchange.notice_outcome``; a ledger table (序号,
  反馈问题, 整改措施…) whose rows are problems; a statistics paragraph anywhere;
* **closing**: the contact paragraph after the last problem, a signature and a date line.

The facts inside sentences (dates, figures, phone numbers) are read by ``tasks.exchange.notice_facts``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tasks.exchange.notice_facts import (
    ANNOUNCEMENT_RE,
    ContactFacts,
    PreambleFacts,
    date_line,
    is_contact,
    is_statistics,
    looks_like_preamble,
    parse_contact,
    parse_statistics,
    read_preamble,
)
from tasks.exchange.notice_outcome import CN_NUM, chinese_number, split_outcome
from tasks.exchange.notice_source import (
    NoticeSource,
    Position,
    SourceLine,
    SourceRow,
    SourceTable,
    read_text,
)

# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unplaced:
    """A line of the notice the importer could not place (or placed with a doubt), with why."""

    position: Position
    text: str
    reason: str

    @property
    def line(self) -> int:
        """The line or paragraph number."""
        return self.position.number

    def __str__(self) -> str:
        return f"{self.position}: {self.reason}: {self.text}"


@dataclass
class ParsedMeasure:
    """One measure of a problem's outcome, as published."""

    marker: str  # 一是, 一要, 第一, （1）, ①, 1. or ""
    text: str
    position: Position
    separator: str = ""  # printed between marker and text: the ， of 第一，

    @property
    def printed_marker(self) -> str:
        """The marker as printed before the text (第一，)."""
        return self.marker + self.separator


@dataclass
class ParsedProblem:
    """One fed-back problem with its outcome split into measures."""

    ordinal: int
    title: str
    description: str
    position: Position
    heading: str = ""  # the heading's marker as printed: 一、 （一） 1. 1、 （1） 第一， (a table's 序号)
    label: str | None = None  # 整改成效, 整改情况, 整改进展… (None when the outcome has no label)
    outcome_lead_in: str = ""
    measures: list[ParsedMeasure] = field(default_factory=list)
    ledger: dict[str, Any] | None = None  # a ledger table's row: row, status, unit…


@dataclass
class ParsedContact(ContactFacts):
    """The closing contact paragraph: its text and the details it gives."""

    text: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v is not None and k != "text"}


@dataclass
class ParsedNotice(PreambleFacts):
    """Everything a notice says, as structured data (the preamble's facts among them)."""

    issuing_org: str = ""
    title: str = ""
    preamble: str = ""
    preamble_position: Position | None = None
    published: date | None = None  # a web page's publication date
    masthead: str | None = None  # 版头: 发文机关标志 (中共…党组文件)
    document_number: str | None = None  # 版头: 发文字号 (新城执党〔2023〕12号)
    statistics: dict[str, Any] = field(default_factory=dict)
    problems: list[ParsedProblem] = field(default_factory=list)
    closing: str = ""
    contact: ParsedContact = field(default_factory=ParsedContact)
    signature: str | None = None
    notice_date: date | None = None
    unplaced: list[Unplaced] = field(default_factory=list)
    warnings: list[Unplaced] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return sorted({p.label for p in self.problems if p.label})

    @property
    def preamble_line(self) -> int:
        return self.preamble_position.number if self.preamble_position else 0

    def add_statistics(self, text: str, placement: str) -> None:
        """A statistics paragraph; a second one adds the figures the first did not state."""
        figures = parse_statistics(text)
        if not self.statistics:
            self.statistics = {**figures, "text": text, "placement": placement}
            return
        for name, value in figures.items():
            self.statistics.setdefault(name, value)
        self.statistics["text"] += "\n" + text


# -- the recognisers of one line ----------------------------------------------------------------

LABEL_RE = re.compile(
    r"^(?P<label>整改(?:成效|进展情况|落实情况|情况|进展|措施及成效|措施|结果|完成情况))\s*"
    r"(?:[：:]\s*(?P<rest>.*)|$)"
)
CN = f"[{CN_NUM}]+"
HEADING_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cn", re.compile(rf"^(?P<num>{CN})\s*[、．.]\s*(?P<rest>.+)$")),
    ("paren_cn", re.compile(rf"^[（(]\s*(?P<num>{CN})\s*[）)]\s*(?P<rest>.+)$")),
    ("digit_dot", re.compile(r"^(?P<num>\d{1,3})\s*(?:[.．](?!\d))\s*(?P<rest>.+)$")),
    ("digit_dun", re.compile(r"^(?P<num>\d{1,3})\s*、\s*(?P<rest>.+)$")),
    ("paren_digit", re.compile(r"^[（(]\s*(?P<num>\d{1,3})\s*[）)]\s*(?P<rest>.+)$")),
    ("di", re.compile(rf"^第(?P<num>{CN})\s*[，,、：:]\s*(?P<rest>.+)$")),
)
DIGIT_KINDS = ("digit_dot", "digit_dun", "paren_digit")
GUANYU_RE = re.compile(
    r"^关于\s*(?P<q>[“\"「『])?(?P<title>.+?)(?(q)[”\"」』])\s*(?:等)?(?:方面)?(?:的)?问题"
    r"(?P<outcome>的?整改(?:情况|进展|落实情况|工作)?)?\s*[。.：:]?\s*"
)
SECTION_TITLE_RE = re.compile(
    r"^[^。]{0,16}?(?:整改|下一步|工作)[^。]{0,10}?"
    r"(?:情况|成效|进展|打算|安排|计划|举措|考虑)(?:及成效|及下一步打算)?[：:。]?$"
)
SECTION_PROGRESS_RE = re.compile(r"整改.*(?:情况|成效|进展)|(?:情况|成效|进展).*整改")
SENTENCE_RE = re.compile(r"[。，,；;]")  # a preamble is sentences; a title line has no such punctuation
TITLE_LINE_RE = re.compile(r"关于|(?:通报|公告|通告|报告)$")
TITLE_END_RE = re.compile(r"(?:通报|公告|通告|报告|情况)$")
DOCUMENT_NUMBER_RE = re.compile(r"[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号$")
# Lines of a document that belong to no problem wherever they stand: reported, never read into an outcome.
NOISE = (
    (re.compile(r"^附\s*件\s*\d*\s*[：:]|^附\s*件\s*\d*$"), "an attachment line"),
    (re.compile(r"^[—\-－–\s]*\d{1,3}[—\-－–\s]*$"), "a page number"),
)
OPEN_QUOTES = "“「『《（(【"
CLOSE_QUOTES = "”」』》）)】"


@dataclass(frozen=True)
class Heading:
    """A line that opens with a heading number: 一、 （一） 1. 1、 （1） 第一，."""

    kind: str
    number: int
    marker: str  # as printed
    rest: str


def match_heading(text: str) -> Heading | None:
    """The heading a line opens with, if any."""
    for kind, pattern in HEADING_FORMS:
        match = pattern.match(text)
        if match is None:
            continue
        raw = match.group("num")
        number = int(raw) if raw.isdecimal() else chinese_number(raw)
        if number:
            return Heading(kind, number, text[: match.start("rest")].strip(), match.group("rest").strip())
    return None


def match_label(text: str) -> tuple[str, str] | None:
    """(label, the text after it) for a line that opens with an outcome label (整改成效：…)."""
    match = LABEL_RE.match(text)
    return (match.group("label"), (match.group("rest") or "").strip()) if match else None


def is_landmark(text: str) -> bool:
    """A line that only a notice's own text holds: its preamble, a problem heading, an outcome label."""
    return bool(looks_like_preamble(text) or match_heading(text) or match_label(text))


def _between_digits(text: str, index: int) -> bool:
    return 0 < index < len(text) - 1 and text[index - 1].isdigit() and text[index + 1].isdigit()


def split_title(text: str) -> tuple[str, str]:
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


@dataclass(frozen=True)
class _Title:
    title: str
    description: str
    names_outcome: bool = False  # 关于“…”问题的整改: the lines under it are the outcome


def read_title(rest: str, lead: str = "", marker: str = "") -> _Title:
    """A problem heading's title and inline description: the bold lead, 关于“…”的问题, or up to 。."""
    head, description, emphasised = rest, "", False
    if lead and len(lead) > len(marker) + 1:
        bold = lead[len(marker) :].strip() if lead.startswith(marker) else lead.strip()
        if rest.startswith(bold):
            head, emphasised = bold, True
            description = rest[len(bold) :].lstrip("。.：:，,；; ").strip()
    guanyu = GUANYU_RE.match(head)
    if guanyu:
        tail = head[guanyu.end() :].strip()
        return _Title(guanyu.group("title").strip(), tail + description, bool(guanyu.group("outcome")))
    if emphasised and head.rstrip("。.：:；;").strip():
        return _Title(head.rstrip("。.：:；;").strip(), description)
    title, description = split_title(rest)
    return _Title(title, description)


def _starts_with_marker(text: str) -> bool:
    split = split_outcome(text)
    return bool(split.measures and split.measures[0][0] and not split.lead_in)


# -- the parser ---------------------------------------------------------------------------------


def parse_notice(text: str) -> ParsedNotice:
    """Parse a plain-text notice into a ``ParsedNotice``; unplaced lines are listed, never dropped."""
    return parse_source(read_text(text))


def parse_source(source: NoticeSource) -> ParsedNotice:
    """Recognise a notice's structure on its line stream (any container)."""
    notice = ParsedNotice(published=source.published)
    items = source.items
    first = next((i for i, item in enumerate(items) if _opens_body(item)), len(items))
    pre = _preamble_index(items[:first])
    if pre is not None:
        line = items[pre]
        assert isinstance(line, SourceLine)
        _read_header(notice, _lines(items[:pre]))
        notice.preamble, notice.preamble_position = line.text, line.position
        following = items[pre + 1] if pre + 1 < first else None
        if isinstance(following, SourceLine) and _announces(following.text) and not _announces(line.text):
            # 现将…通报如下 in a paragraph of its own is the preamble's last sentence.
            notice.preamble += "\n" + following.text
            pre += 1
        _read_preamble(notice, notice.preamble)
    else:
        _read_header(notice, _lines(items[:first]))
    start = pre + 1 if pre is not None else first
    close = _closing_index(items, start)
    for item in items[start : min(first, close)]:
        assert isinstance(item, SourceLine)
        if is_statistics(item.text):
            notice.add_statistics(item.text, "preamble")
        else:
            notice.unplaced.append(Unplaced(item.position, item.text, "text outside any problem"))
    _BodyReader(notice, items[first:close]).read()
    _read_closing(notice, _lines(items[close:]))
    return notice


def _announces(text: str) -> bool:
    return ANNOUNCEMENT_RE.search(text) is not None


def _lines(items: list[SourceLine | SourceTable]) -> list[SourceLine]:
    return [item for item in items if isinstance(item, SourceLine)]


def _opens_body(item: SourceLine | SourceTable) -> bool:
    return isinstance(item, SourceTable) or (
        match_heading(item.text) is not None and not match_label(item.text)
    )


def _preamble_index(head: list[SourceLine | SourceTable]) -> int | None:
    """The preamble among the lines before the first heading: the first that names the inspection or
    announces the list (现将…如下); else the first sentence after the title."""
    lines = [(i, item) for i, item in enumerate(head) if isinstance(item, SourceLine)]
    for index, line in lines:
        if SENTENCE_RE.search(line.text) and looks_like_preamble(line.text):
            return index
    titled = False
    for index, line in lines:
        if titled and SENTENCE_RE.search(line.text):
            return index
        titled = titled or bool(TITLE_LINE_RE.search(line.text))
    return None


def _closing_index(items: list[SourceLine | SourceTable], start: int) -> int:
    """Where the closing starts: the first contact paragraph after the last heading or table, else the
    signature and date lines that end the notice."""
    last = max((i for i, item in enumerate(items) if _opens_body(item)), default=start - 1)
    for index in range(max(last + 1, start), len(items)):
        item = items[index]
        if (
            isinstance(item, SourceLine)
            and is_contact(item.text)
            and not match_label(item.text)
            and not _starts_with_marker(item.text)
        ):
            return index
    end = len(items)
    final = items[-1] if items else None
    if end > start and isinstance(final, SourceLine) and date_line(final.text):
        end -= 1
        if end > max(last + 1, start) and _is_signature(items[end - 1]):
            end -= 1
    return end


def _is_signature(item: SourceLine | SourceTable) -> bool:
    return (
        isinstance(item, SourceLine)
        and len(item.text) <= 60
        and not any(ch in item.text for ch in "，,。；;：:")
        and match_heading(item.text) is None
    )


def _read_header(notice: ParsedNotice, header: list[SourceLine]) -> None:
    """The issuer and the title: the line with 关于 (or ending in 通报/公告) and the lines above it; a
    版头 above them (发文机关标志 …文件, 发文字号 …〔2023〕12号) and a date line under the title."""
    lines = [line for line in header if not _masthead(notice, line.text)]
    title_index = next((i for i, line in enumerate(lines) if TITLE_LINE_RE.search(line.text)), None)
    if title_index is None:
        if lines:
            notice.issuing_org = lines[0].text
            for line in lines[1:]:
                notice.unplaced.append(Unplaced(line.position, line.text, "header line"))
        return
    title = lines[title_index].text
    after = lines[title_index + 1 :]
    if after and TITLE_END_RE.search(after[0].text) and not TITLE_END_RE.search(title):
        title, after = title + after[0].text, after[1:]  # a title printed over two lines
    before = [line.text for line in lines[:title_index]]
    if not before and "关于" in title and not title.startswith("关于"):
        org, _, rest = title.partition("关于")
        before, title = [org], "关于" + rest
    notice.issuing_org = "".join(before) or (notice.masthead or "").removesuffix("文件")
    notice.title = title
    for line in after:
        day = date_line(line.text)
        if day and notice.notice_date is None:
            notice.notice_date = day
        else:
            notice.unplaced.append(Unplaced(line.position, line.text, "header line after the title"))


def _masthead(notice: ParsedNotice, text: str) -> bool:
    """Whether a header line is the 版头: the 发文机关标志 (…文件) or the 发文字号 (…〔2023〕12号)."""
    if DOCUMENT_NUMBER_RE.search(text) and notice.document_number is None:
        notice.document_number = text
        return True
    if text.endswith("文件") and len(text) <= 40 and notice.masthead is None and not notice.title:
        notice.masthead = text
        return True
    return False


def _read_preamble(notice: ParsedNotice, text: str) -> None:
    facts = read_preamble(text)
    for name, value in vars(facts).items():
        setattr(notice, name, value)
    _extract_preamble_statistics(notice)


def _extract_preamble_statistics(notice: ParsedNotice) -> None:
    """A statistics sentence inside the preamble paragraph moves to the round's statistics."""
    if not is_statistics(notice.preamble):
        return
    sentences = re.findall(r"[^。]*。|[^。]+$", notice.preamble)
    stats = [s for s in sentences if is_statistics(s) and not looks_like_preamble(s)]
    if not stats:
        return
    notice.add_statistics("".join(stats), "preamble")
    notice.preamble = "".join(s for s in sentences if s not in stats)


def _read_closing(notice: ParsedNotice, tail: list[SourceLine]) -> None:
    """The contact paragraphs, then the signature and the date; anything else is reported."""
    closing: list[str] = []
    for line in tail:
        day = date_line(line.text)
        signed = notice.signature is not None or notice.notice_date is not None
        if day and notice.notice_date is None:
            notice.notice_date = day
        elif is_contact(line.text) and not signed:
            closing.append(line.text)
        elif _is_signature(line) and not signed:
            notice.signature = line.text
        else:
            reason = "text after the signature" if signed else "text after the closing"
            notice.unplaced.append(Unplaced(line.position, line.text, reason))
    notice.closing = "".join(closing)
    if closing:
        notice.contact = ParsedContact(**vars(parse_contact(notice.closing)), text=notice.closing)


# -- the body -----------------------------------------------------------------------------------


def _kinds(items: list[SourceLine | SourceTable]) -> tuple[set[str], str | None]:
    """The section heading kinds and the problem heading kind of a body.

    A kind whose every heading reads like a section title (主要问题的整改进展情况, 下一步工作打算) is a
    section kind; the problem kind is the first other kind to appear. Headings of later kinds inside a
    problem are lines of its outcome (（1）… under 1、…).
    """
    order: list[str] = []
    titles: dict[str, list[str]] = {}
    for item in items:
        if isinstance(item, SourceLine) and not match_label(item.text):
            heading = match_heading(item.text)
            if heading:
                if heading.kind not in titles:
                    order.append(heading.kind)
                titles.setdefault(heading.kind, []).append(heading.rest)
    sections = {
        kind
        for kind in order
        if all(SECTION_TITLE_RE.match(rest) and len(rest) <= 30 for rest in titles[kind])
    }
    problem = next((kind for kind in order if kind not in sections), None)
    return sections, problem


class _BodyReader:
    """The body of a notice, line by line: sections, problems, their descriptions and outcomes."""

    def __init__(self, notice: ParsedNotice, items: list[SourceLine | SourceTable]) -> None:
        self.notice = notice
        self.items = items
        self.sections, self.problem_kind = _kinds(items)
        self.index = 0  # of the item being read
        self.in_section = True  # False inside a section other than the 整改 progress (下一步工作打算)
        self.problem: ParsedProblem | None = None
        self.title: _Title | None = None
        self.pending: list[SourceLine] = []  # lines under the heading before any label
        self.outcome: list[str] = []
        self.outcome_position: Position | None = None

    def read(self) -> None:
        for index, item in enumerate(self.items):
            self.index = index
            if isinstance(item, SourceTable):
                self.finish()
                _read_table(self.notice, item)
            else:
                self.line(item)
        self.finish()

    def line(self, line: SourceLine) -> None:
        heading = None if match_label(line.text) else match_heading(line.text)
        noise = next((reason for pattern, reason in NOISE if pattern.match(line.text)), None)
        if noise:
            self.notice.unplaced.append(Unplaced(line.position, line.text, noise))
        elif heading and heading.kind in self.sections:
            self.section(line, heading)
        elif (
            heading and heading.kind == self.problem_kind and self.in_section and self.opens_problem(heading)
        ):
            self.start(line, heading)
        elif self.problem is None or not self.in_section:
            self.outside(line)
        else:
            self.inside(line)

    def opens_problem(self, heading: Heading) -> bool:
        """Whether a heading of the problems' kind opens the next problem.

        Measures may be numbered like the problems (1. under 1.). Inside a labelled outcome, a numbered
        line that starts or continues a numbered list of the outcome opens a problem only when it reads
        关于“…”问题 or an outcome label follows it before the next such line.
        """
        labelled = self.problem is not None and self.problem.label is not None
        if heading.kind not in DIGIT_KINDS or not labelled or GUANYU_RE.match(heading.rest):
            return True
        listed = [h.number for h in map(match_heading, self.outcome) if h and h.kind == heading.kind]
        if heading.number != 1 and (not listed or heading.number != listed[-1] + 1):
            return True  # it does not continue a numbered list of the outcome
        for item in self.items[self.index + 1 :]:
            if not isinstance(item, SourceLine) or match_label(item.text):
                return True
            following = match_heading(item.text)
            if following and (following.kind == self.problem_kind or following.kind in self.sections):
                return False
        return False

    def section(self, line: SourceLine, heading: Heading) -> None:
        """A section heading: only sections about the 整改 progress hold problems."""
        self.finish()
        self.in_section = bool(SECTION_PROGRESS_RE.search(heading.rest))
        if not self.in_section:
            self.notice.unplaced.append(Unplaced(line.position, line.text, "section other than 整改进展"))

    def start(self, line: SourceLine, heading: Heading) -> None:
        """The next problem; a number out of turn is a warning."""
        self.finish()
        expected = len(self.notice.problems) + 1
        if heading.number != expected:
            reason = f"problem numbered {heading.number}, expected {expected}"
            self.notice.warnings.append(Unplaced(line.position, line.text, reason))
        self.title = read_title(heading.rest, line.lead, heading.marker)
        self.problem = ParsedProblem(
            expected, self.title.title, self.title.description, line.position, heading.marker
        )
        self.notice.problems.append(self.problem)

    def outside(self, line: SourceLine) -> None:
        """A line outside any problem: the statistics, or an unplaced line."""
        if self.in_section and is_statistics(line.text) and not _starts_with_marker(line.text):
            self.notice.add_statistics(
                line.text, "before_problems" if not self.notice.problems else "after_problems"
            )
        elif self.in_section:
            self.notice.unplaced.append(Unplaced(line.position, line.text, "text outside any problem"))
        else:
            self.notice.unplaced.append(
                Unplaced(line.position, line.text, "in a section other than 整改进展")
            )

    def inside(self, line: SourceLine) -> None:
        """A line of the problem being read: its label, its outcome, its description, or statistics."""
        problem = self.problem
        assert problem is not None
        label = match_label(line.text)
        if label and problem.label is None and not self.outcome:
            problem.label, rest = label
            self.outcome_position = line.position
            if rest:
                self.outcome.append(rest)
        elif is_statistics(line.text) and not _starts_with_marker(line.text):
            self.notice.add_statistics(line.text, "after_problems")
        elif problem.label is None:
            self.pending.append(line)
        else:
            self.outcome_position = self.outcome_position or line.position
            self.outcome.append(line.text)

    def finish(self) -> None:
        """Close the problem being read: its description and its outcome split into measures."""
        problem, title = self.problem, self.title
        if problem is None or title is None:
            return
        pending = self.pending
        if problem.label is None and pending:
            # No label: the lines under the heading are the outcome, except a first line that describes
            # the problem when the heading is the title alone.
            describes = not (title.description or title.names_outcome or _starts_with_marker(pending[0].text))
            if describes and len(pending) > 1:
                pending, outcome_lines = pending[:1], pending[1:]
            else:
                pending, outcome_lines = [], pending
            self.outcome = [line.text for line in outcome_lines]
            self.outcome_position = outcome_lines[0].position if outcome_lines else None
        problem.description = "\n".join(d for d in [problem.description, *(p.text for p in pending)] if d)
        if self.outcome:
            fill_measures(
                self.notice, problem, "\n".join(self.outcome), self.outcome_position or problem.position
            )
        else:
            self.notice.warnings.append(
                Unplaced(problem.position, problem.title, "problem without an outcome")
            )
        self.problem, self.title, self.pending, self.outcome, self.outcome_position = None, None, [], [], None


def fill_measures(notice: ParsedNotice, problem: ParsedProblem, text: str, position: Position) -> None:
    """Split an outcome into the problem's lead-in and measures; stray markers are warnings."""
    split = split_outcome(text)
    problem.outcome_lead_in = split.lead_in
    problem.measures = [
        ParsedMeasure(marker, body, position, separator)
        for (marker, body), separator in zip(split.measures, split.separators, strict=True)
    ]
    for marker in split.stray_markers:
        reason = f"problem {problem.ordinal}: marker {marker} out of sequence, kept in the text"
        notice.warnings.append(Unplaced(position, marker, reason))
    for measure in problem.measures:
        if not measure.text.strip():
            notice.warnings.append(
                Unplaced(position, measure.marker, f"problem {problem.ordinal}: empty measure")
            )


# -- ledger tables ------------------------------------------------------------------------------

HEADER_CELL_MAX = 20
COLUMNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("number", re.compile(r"^(?:序号|编号|序)$")),
    ("measures", re.compile(r"措施|举措")),
    ("problem", re.compile(r"问题")),
    ("unit", re.compile(r"责任单位|牵头单位|责任部门|责任科室|牵头部门|责任股室")),
    ("leader", re.compile(r"责任领导|牵头领导|分管领导")),
    ("deadline", re.compile(r"时限|完成时间")),
    ("status", re.compile(r"整改情况|完成情况|整改进展|进展情况|状态|是否完成|整改结果")),
)


def ledger_columns(header: tuple[str, ...]) -> dict[str, int]:
    """Which column holds what, by the header's words (the first matching role of each column); none
    when a header cell is longer than a column name (a layout table around a page is no ledger)."""
    columns: dict[str, int] = {}
    if any(len(re.sub(r"\s+", "", name)) > HEADER_CELL_MAX for name in header):
        return columns
    for index, name in enumerate(header):
        compact = re.sub(r"\s+", "", name)
        for role, pattern in COLUMNS:
            if role not in columns and pattern.search(compact):
                columns[role] = index
                break
    return columns


def _read_table(notice: ParsedNotice, table: SourceTable) -> None:
    """A ledger table (反馈问题 and 整改措施 columns): each row a problem, or more measures of the problem
    above when its 反馈问题 cell repeats it (a merged cell) or is empty. Other tables are reported."""
    columns = ledger_columns(table.header)
    if "problem" not in columns or "measures" not in columns:
        for row in table.rows:
            text = " | ".join(cell for cell in row.cells if cell)
            if text:
                notice.unplaced.append(Unplaced(row.position, text, "a table that is not a 整改台账"))
        return
    previous = ""
    for row in table.rows:
        cells = dict.fromkeys(columns, "")
        cells.update({role: row.cells[i] for role, i in columns.items() if i < len(row.cells)})
        if not any(row.cells):
            continue
        problem_text = cells["problem"]
        if not problem_text and not previous:
            text = " | ".join(cell for cell in row.cells if cell)
            notice.unplaced.append(Unplaced(row.position, text, "a ledger row without its 反馈问题"))
            continue
        if not problem_text or problem_text == previous:
            _more_measures(notice, notice.problems[-1], cells["measures"], row)
            continue
        previous = problem_text
        _table_problem(notice, cells, row)


def _table_problem(notice: ParsedNotice, cells: dict[str, str], row: SourceRow) -> None:
    body = re.sub(
        rf"^(?:[{CN_NUM}]+[、.．]|\d+[、.．](?!\d)|[（(][{CN_NUM}\d]+[）)])\s*", "", cells["problem"]
    )
    title = read_title(body.replace("\n", ""))
    ledger: dict[str, Any] = {"row": row.position.row}
    ledger.update({role: cells[role] for role in ("status", "unit", "leader", "deadline") if cells.get(role)})
    problem = ParsedProblem(
        len(notice.problems) + 1,
        title.title,
        title.description,
        row.position,
        cells.get("number", ""),
        ledger=ledger,
    )
    notice.problems.append(problem)
    if cells["measures"]:
        fill_measures(notice, problem, cells["measures"], row.position)
    else:
        notice.warnings.append(Unplaced(row.position, problem.title, "problem without an outcome"))


def _more_measures(notice: ParsedNotice, problem: ParsedProblem, text: str, row: SourceRow) -> None:
    if not text:
        return
    extra = ParsedProblem(problem.ordinal, problem.title, "", row.position)
    fill_measures(notice, extra, text, row.position)
    if extra.outcome_lead_in:
        extra.measures.insert(0, ParsedMeasure("", extra.outcome_lead_in, row.position))
    problem.measures.extend(extra.measures)


def outcome_text(problem: ParsedProblem) -> str:
    """The outcome as published: lead-in followed by each measure's marker and text."""
    return problem.outcome_lead_in + "".join(m.printed_marker + m.text for m in problem.measures)
