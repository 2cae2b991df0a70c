"""The progress notice (整改进展情况的通报) as a typed document, built from plain data without I/O.

``build_notice`` takes the round's preamble facts, the problems with their measures, the latest
report of each measure as of a date, and the template options (``Round.notice_options``), and
returns a ``NoticeDocument``: the statistics, the 一、/一是 structure, the lead-ins, a
【待报送：责任单位】 marker for every measure without a report, and the list of those missing
reports. Renderers (``tasks/notice/text.py``, ``tasks/notice/docx.py``) walk
``NoticeDocument.blocks()``, one ``Block`` per printed paragraph, and never compute content.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from models.errors import InvalidPlan, MissingReports, PlanIssue
from models.measure_view import MeasureView
from models.rules import chinese_ordinal, format_chinese_date, is_finished, is_overdue

NOTICE_LABELS = ("整改成效", "整改情况", "整改进展")
DEFAULT_TITLE = "关于巡察整改进展情况的通报"
DEFAULT_CLOSING = "欢迎广大干部群众对巡察整改落实情况进行监督。如有意见建议，请及时向我们反映。"
NO_UNIT = "未明确责任单位"
_SENTENCE_ENDS = ("。", "！", "？", "；", ".", "!", "?")
PRINTED_SEPARATOR = "　　"  # between 印发机关 and 印发日期 in the text forms; the DOCX sets them apart


class StatisticsPlacement(enum.StrEnum):
    """Where the statistics paragraph goes (问题 N 个，措施 M 项……)."""

    NONE = "none"
    AFTER_PREAMBLE = "after_preamble"
    BEFORE_CLOSING = "before_closing"


@dataclass(frozen=True)
class NoticeOptions:
    """The template options a round keeps in ``Round.notice_options`` (all optional)."""

    label: str = "整改成效"  # 整改成效, 整改情况 or 整改进展
    statistics: StatisticsPlacement = StatisticsPlacement.NONE
    title: str = DEFAULT_TITLE
    preamble: str | None = None  # replaces the preamble built from the round
    closing: str = DEFAULT_CLOSING  # the contact block is appended to it
    signature: bool = True  # print Round.signature (when the round has one) after the closing
    date: bool = True  # print the as-of date under the signature
    monthly: bool = False  # the generate_notice deployment also writes this round's notice monthly
    # 版头 (printed when either is set): 发文机关标志 in red above 发文字号 and the red line.
    masthead: str | None = None  # e.g. 中共新华区城市管理综合行政执法局党组文件
    document_number: str | None = None  # 发文字号, e.g. 新城执党〔2023〕12号
    # 版记 (printed when either is set): 抄送 and the 印发机关 with its 印发日期.
    copy_to: str | None = None  # e.g. 区委巡察办，区纪委监委
    printed_by: str | None = None  # 印发机关, e.g. 中共新华区城市管理综合行政执法局办公室
    printed_on: str | None = None  # 印发日期, YYYY-MM-DD; default the notice's date
    blacklist: str | None = None  # week or month: name the 黑榜 of the last such period closed by the date
    # A measure a collective with members leads: name the members not done by the date after its text.
    name_laggard_members: bool = False

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None, where: str = "notice") -> NoticeOptions:
        """Parse ``Round.notice_options``; raise ``InvalidPlan`` listing every bad key."""
        issues = notice_option_issues(mapping, where)
        if issues:
            raise InvalidPlan(issues)
        values = dict(mapping or {})
        if "statistics" in values:
            values["statistics"] = StatisticsPlacement(values["statistics"])
        return cls(**values)


_OPTION_TYPES: dict[str, tuple[type, ...]] = {
    "label": (str,),
    "statistics": (str,),
    "title": (str,),
    "preamble": (str, type(None)),
    "closing": (str,),
    "signature": (bool,),
    "date": (bool,),
    "monthly": (bool,),
    "masthead": (str,),
    "document_number": (str,),
    "copy_to": (str,),
    "printed_by": (str,),
    "printed_on": (str,),
    "blacklist": (str, type(None)),
    "name_laggard_members": (bool,),
}
_TEXT_OPTIONS = ("title", "closing", "masthead", "document_number", "copy_to", "printed_by")


def notice_option_issues(mapping: Mapping[str, Any] | None, where: str = "notice") -> list[PlanIssue]:
    """Every problem in a notice options mapping (unknown keys, wrong types, unknown values)."""
    issues: list[PlanIssue] = []
    if mapping is None:
        return issues
    if not isinstance(mapping, Mapping):
        return [PlanIssue(where, "notice", "must be a mapping of notice options")]
    for key, value in mapping.items():
        if key not in _OPTION_TYPES:
            known = ", ".join(_OPTION_TYPES)
            issues.append(PlanIssue(where, f"notice.{key}", f"unknown notice option (known: {known})"))
            continue
        if key == "printed_on" and isinstance(value, date):
            # A date object (from a caller's own YAML reader) cannot be kept in the round's JSON options.
            issues.append(
                PlanIssue(where, "notice.printed_on", f'write the date as text: "{value.isoformat()}"')
            )
            continue
        if not isinstance(value, _OPTION_TYPES[key]):
            issues.append(PlanIssue(where, f"notice.{key}", f"{value!r} has the wrong type"))
            continue
        if key == "printed_on" and isinstance(value, str) and _iso_date(value) is None:
            issues.append(PlanIssue(where, "notice.printed_on", f"{value!r} is not a date (YYYY-MM-DD)"))
        if key == "label" and value not in NOTICE_LABELS:
            issues.append(
                PlanIssue(where, "notice.label", f"{value!r} is not one of {', '.join(NOTICE_LABELS)}")
            )
        if key == "statistics" and value not in {p.value for p in StatisticsPlacement}:
            allowed = ", ".join(p.value for p in StatisticsPlacement)
            issues.append(PlanIssue(where, "notice.statistics", f"{value!r} is not one of {allowed}"))
        if key == "blacklist" and value not in (None, "week", "month"):
            issues.append(PlanIssue(where, "notice.blacklist", f"{value!r} is not week or month"))
        if key in _TEXT_OPTIONS and isinstance(value, str) and not value.strip():
            issues.append(PlanIssue(where, f"notice.{key}", "must not be empty"))
    return issues


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


# -- input: plain data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundInfo:
    """The round's facts the notice prints (preamble, contact block, signature)."""

    code: str
    inspected_org: str
    inspecting_body: str
    inspection_start: date
    inspection_end: date
    feedback_date: date
    inspected_short: str = "我局"
    feedback_recipient: str = "我局党组"
    inspection_kind: str = "常规巡察"
    contact_phone: str | None = None
    contact_address: str | None = None
    contact_postcode: str | None = None
    contact_email: str | None = None
    signature: str | None = None


@dataclass(frozen=True)
class ProblemInfo:
    """A problem in notice order, with its measures in their order."""

    ordinal: int
    title: str
    description: str = ""
    outcome_lead_in: str = ""
    measures: tuple[MeasureView, ...] = ()  # each with its status as of the notice date


@dataclass(frozen=True)
class ReportInfo:
    """The latest standing report of a measure as of the notice date: what the notice quotes."""

    text: str


# -- output: the document ---------------------------------------------------------------------------


class RunStyle(enum.StrEnum):
    """How a run of text is set: body 仿宋, heading 黑体, label 楷体, a missing-report marker."""

    BODY = "body"
    HEADING = "heading"
    LABEL = "label"
    MISSING = "missing"


class BlockKind(enum.StrEnum):
    """Which part of the notice a paragraph is; renderers choose the paragraph format by it."""

    MASTHEAD = "masthead"  # 版头: 发文机关标志
    DOCUMENT_NUMBER = "document_number"  # 版头: 发文字号 (the red line goes under it)
    ISSUER = "issuer"  # first title line: the issuing organisation
    TITLE = "title"
    PREAMBLE = "preamble"
    STATISTICS = "statistics"
    PROBLEM = "problem"  # 一、<title>。<description>
    OUTCOME = "outcome"  # 整改成效：<lead-in><一是…>
    ASSESSMENT = "assessment"  # the units on the 黑榜 (notice option blacklist)
    CLOSING = "closing"
    SIGNATURE = "signature"
    DATE = "date"
    COPY_TO = "copy_to"  # 版记: 抄送：…。
    PRINTED = "printed"  # 版记: 印发机关 (first run) and 印发日期 (last run), apart on one line


@dataclass(frozen=True)
class Run:
    text: str
    style: RunStyle = RunStyle.BODY


@dataclass(frozen=True)
class Block:
    """One printed paragraph as styled runs."""

    kind: BlockKind
    runs: tuple[Run, ...]

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass(frozen=True)
class OutcomeItem:
    """One measure's contribution: its marker and its report text, or a missing-report marker."""

    measure_code: str
    marker: str
    text: str  # the report text; "" when missing
    missing_unit: str | None = None  # set when no report exists as of the date

    @property
    def missing(self) -> bool:
        return self.missing_unit is not None

    @property
    def missing_marker(self) -> str:
        return f"【待报送：{self.missing_unit}】" if self.missing_unit is not None else ""


@dataclass(frozen=True)
class NoticeProblem:
    ordinal: int
    title: str
    description: str
    label: str
    lead_in: str
    items: tuple[OutcomeItem, ...]
    outcome_override: str | None = None  # a draft's edited 整改成效 (after the label), markers included

    @property
    def heading(self) -> str:
        """一、<title>。 (no extra 。 when the title already ends a sentence)."""
        title = self.title.strip()
        end = "" if title.endswith(_SENTENCE_ENDS) else "。"
        return f"{chinese_ordinal(self.ordinal)}、{title}{end}"


@dataclass(frozen=True)
class MissingReport:
    """A measure the notice could not report on: no report as of the date."""

    problem_ordinal: int
    measure_code: str
    marker: str
    unit: str

    def __str__(self) -> str:
        marker = f"（{self.marker}）" if self.marker else ""
        return (
            f"{chinese_ordinal(self.problem_ordinal)}、措施 {self.measure_code}{marker}：{self.unit} 未报送"
        )


@dataclass(frozen=True)
class NoticeStatistics:
    """问题 N 个，措施 M 项，已完成 X 项、推进中 Y 项、逾期 Z 项，完成率 R%."""

    problems: int
    measures: int
    done: int
    in_progress: int
    overdue: int

    @property
    def completion_rate(self) -> str:
        """The completion rate in percent, one decimal at most: 100, 66.7, 0."""
        if self.measures == 0:
            return "0"
        rate = round(self.done * 100 / self.measures, 1)
        return f"{rate:.1f}".removesuffix(".0")

    def sentence(self, as_of: date) -> str:
        return (
            f"截至{format_chinese_date(as_of)}，巡察反馈问题{self.problems}个，整改措施{self.measures}项，"
            f"已完成{self.done}项、推进中{self.in_progress}项、逾期{self.overdue}项，完成率{self.completion_rate}%。"
        )


@dataclass(frozen=True)
class NoticeDocument:
    """The whole notice, ready for any renderer."""

    round_code: str
    as_of: date
    issuer: str
    title: str
    preamble: str
    problems: tuple[NoticeProblem, ...]
    statistics: NoticeStatistics
    statistics_placement: StatisticsPlacement
    closing: str
    signature: str | None
    date_line: str | None
    missing: tuple[MissingReport, ...] = field(default=())
    masthead: str | None = None
    document_number: str | None = None
    copy_to: str | None = None
    printed_by: str | None = None
    printed_on: date | None = None
    blacklist: str | None = None  # the paragraph naming the units on the 黑榜, when the options ask
    statistics_text: str | None = None  # a draft's edited statistics wording

    @property
    def statistics_sentence(self) -> str:
        """The statistics paragraph: the draft's wording, else the figures' sentence."""
        return (
            self.statistics_text if self.statistics_text is not None else self.statistics.sentence(self.as_of)
        )

    @property
    def has_masthead(self) -> bool:
        return bool(self.masthead or self.document_number)

    @property
    def has_imprint(self) -> bool:
        return bool(self.copy_to or self.printed_by)

    def blocks(self) -> list[Block]:
        """Every printed paragraph in order (blank lines are the renderers' business)."""
        blocks: list[Block] = []
        if self.masthead:
            blocks.append(Block(BlockKind.MASTHEAD, (Run(self.masthead),)))
        if self.document_number:
            blocks.append(Block(BlockKind.DOCUMENT_NUMBER, (Run(self.document_number),)))
        blocks += [
            Block(BlockKind.ISSUER, (Run(self.issuer),)),
            Block(BlockKind.TITLE, (Run(self.title),)),
            Block(BlockKind.PREAMBLE, (Run(self.preamble),)),
        ]
        statistics = Block(BlockKind.STATISTICS, (Run(self.statistics_sentence),))
        if self.statistics_placement == StatisticsPlacement.AFTER_PREAMBLE:
            blocks.append(statistics)
        for problem in self.problems:
            blocks.append(Block(BlockKind.PROBLEM, _problem_runs(problem)))
            if problem.items or problem.lead_in:
                blocks.append(Block(BlockKind.OUTCOME, _outcome_runs(problem)))
        if self.statistics_placement == StatisticsPlacement.BEFORE_CLOSING:
            blocks.append(statistics)
        if self.blacklist:
            blocks.append(Block(BlockKind.ASSESSMENT, (Run(self.blacklist),)))
        blocks.append(Block(BlockKind.CLOSING, (Run(self.closing),)))
        if self.signature:
            blocks.append(Block(BlockKind.SIGNATURE, (Run(self.signature),)))
        if self.date_line:
            blocks.append(Block(BlockKind.DATE, (Run(self.date_line),)))
        if self.copy_to:
            end = "" if self.copy_to.endswith("。") else "。"
            blocks.append(Block(BlockKind.COPY_TO, (Run(f"抄送：{self.copy_to}{end}"),)))
        if self.printed_by:
            printed_on = format_chinese_date(self.printed_on or self.as_of)
            runs = (Run(self.printed_by), Run(PRINTED_SEPARATOR), Run(f"{printed_on}印发"))
            blocks.append(Block(BlockKind.PRINTED, runs))
        return blocks

    def plain_paragraphs(self) -> list[str]:
        return [block.text for block in self.blocks()]


def _problem_runs(problem: NoticeProblem) -> tuple[Run, ...]:
    runs = [Run(problem.heading, RunStyle.HEADING)]
    if problem.description.strip():
        runs.append(Run(problem.description.strip()))
    return tuple(runs)


_MISSING_MARKER = re.compile(r"(【待报送[^】]*】)")


def outcome_text(problem: NoticeProblem) -> str:
    """The 整改成效 paragraph after its label as one text (the part a draft edits)."""
    return "".join(run.text for run in _outcome_runs(problem)[1:])


def _outcome_runs(problem: NoticeProblem) -> tuple[Run, ...]:
    runs = [Run(f"{problem.label}：", RunStyle.LABEL)]
    if problem.outcome_override is not None:
        for part in _MISSING_MARKER.split(problem.outcome_override):
            if part:
                style = RunStyle.MISSING if _MISSING_MARKER.fullmatch(part) else RunStyle.BODY
                runs.append(Run(part, style))
        return tuple(_merge(runs))
    if problem.lead_in:
        runs.append(Run(problem.lead_in))
    for item in problem.items:
        if item.missing:
            if item.marker:
                runs.append(Run(item.marker))
            runs.append(Run(item.missing_marker, RunStyle.MISSING))
        else:
            runs.append(Run(item.marker + item.text))
    return tuple(_merge(runs))


def _merge(runs: list[Run]) -> list[Run]:
    """Join neighbouring runs of one style (fewer runs in the DOCX, same text)."""
    merged: list[Run] = []
    for run in runs:
        if merged and merged[-1].style == run.style:
            merged[-1] = Run(merged[-1].text + run.text, run.style)
        else:
            merged.append(run)
    return merged


# -- building ---------------------------------------------------------------------------------------


def format_date_range(start: date, end: date) -> str:
    """2023年6月29日至8月31日: the second date drops the year when both fall in the same year."""
    if start == end:
        return format_chinese_date(start)
    if start.year == end.year:
        return f"{format_chinese_date(start)}至{end.month}月{end.day}日"
    return f"{format_chinese_date(start)}至{format_chinese_date(end)}"


def build_preamble(round_: RoundInfo) -> str:
    body = round_.inspecting_body
    return (
        f"根据{body}巡察工作统一部署，{format_date_range(round_.inspection_start, round_.inspection_end)}，"
        f"{body}对{round_.inspected_short}进行了{round_.inspection_kind}，"
        f"{format_chinese_date(round_.feedback_date)}，{body}向{round_.feedback_recipient}反馈了巡察意见。"
        "按照巡察工作有关要求，现将巡察整改进展情况予以公布。"
    )


def build_closing(round_: RoundInfo, closing: str = DEFAULT_CLOSING) -> str:
    """The closing text followed by 联系电话：…；邮政信箱：…，邮政编码：…；电子邮箱：…。 (parts present only)."""
    groups: list[str] = []
    if round_.contact_phone:
        groups.append(f"联系电话：{round_.contact_phone}")
    postal = []
    if round_.contact_address:
        postal.append(f"邮政信箱：{round_.contact_address}")
    if round_.contact_postcode:
        postal.append(f"邮政编码：{round_.contact_postcode}")
    if postal:
        groups.append("，".join(postal))
    if round_.contact_email:
        groups.append(f"电子邮箱：{round_.contact_email}")
    text = closing.strip()
    return text + ("；".join(groups) + "。" if groups else "")


def compute_statistics(problems: Sequence[ProblemInfo], as_of: date) -> NoticeStatistics:
    """已完成: done or closed as of the date; 逾期: not done and past its deadline; the rest 推进中."""
    done = in_progress = overdue = measures = 0
    for problem in problems:
        for measure in problem.measures:
            measures += 1
            if is_finished(measure.status):
                done += 1
            elif is_overdue(measure.status, measure.deadline, as_of):
                overdue += 1
            else:
                in_progress += 1
    return NoticeStatistics(len(problems), measures, done, in_progress, overdue)


def build_notice(
    round_: RoundInfo,
    problems: Sequence[ProblemInfo],
    reports: Mapping[str, ReportInfo],
    as_of: date,
    options: NoticeOptions | None = None,
    *,
    blacklist: str | None = None,
    withheld: Collection[str] = (),
    laggards: Mapping[str, Sequence[str]] | None = None,
) -> NoticeDocument:
    """The notice as of ``as_of``; ``reports`` maps a measure code to its latest report as of then.

    A measure missing from ``reports`` is never invented: it gets a 【待报送：责任单位】 marker and
    appears in ``NoticeDocument.missing``. ``blacklist`` is the 黑榜 paragraph (printed before the
    closing) when the options ask for it and a stored assessment names someone. A measure in ``withheld``
    (its report is marked not for publication) is left out of its problem's 整改成效. ``laggards`` maps a
    measure code to the members of its collective not done as of then (option ``name_laggard_members``).
    """
    options = options or NoticeOptions()
    ordered = sorted(problems, key=lambda p: p.ordinal)
    notice_problems: list[NoticeProblem] = []
    missing: list[MissingReport] = []
    for problem in ordered:
        items: list[OutcomeItem] = []
        for measure in sorted(problem.measures, key=lambda m: m.ordinal):
            if measure.code in withheld:
                continue
            report = reports.get(measure.code)
            text = report.text.strip() if report is not None else ""
            if text and options.name_laggard_members and laggards and laggards.get(measure.code):
                text = with_laggards(text, laggards[measure.code])
            if text:
                items.append(OutcomeItem(measure.code, measure.marker, text))
            else:
                unit = measure.lead_unit or NO_UNIT
                items.append(OutcomeItem(measure.code, measure.marker, "", missing_unit=unit))
                missing.append(MissingReport(problem.ordinal, measure.code, measure.marker, unit))
        notice_problems.append(
            NoticeProblem(
                ordinal=problem.ordinal,
                title=problem.title,
                description=problem.description,
                label=options.label,
                lead_in=problem.outcome_lead_in.strip(),
                items=tuple(items),
            )
        )
    signature = round_.signature.strip() if options.signature and round_.signature else None
    return NoticeDocument(
        round_code=round_.code,
        as_of=as_of,
        issuer=round_.inspected_org,
        title=options.title,
        preamble=options.preamble.strip() if options.preamble else build_preamble(round_),
        problems=tuple(notice_problems),
        statistics=compute_statistics(ordered, as_of),
        statistics_placement=options.statistics,
        closing=build_closing(round_, options.closing),
        signature=signature,
        date_line=format_chinese_date(as_of) if signature and options.date else None,
        missing=tuple(missing),
        masthead=_text(options.masthead),
        document_number=_text(options.document_number),
        copy_to=_text(options.copy_to),
        printed_by=_text(options.printed_by),
        printed_on=_iso_date(options.printed_on) if options.printed_on else None,
        blacklist=blacklist if options.blacklist else None,
    )


def with_laggards(text: str, names: Sequence[str]) -> str:
    """A measure's report text naming the members of its collective not done yet, before its final
    punctuation: ``……4万份（示例街道二、示例街道三尚未完成）。``."""
    body, end = (text[:-1], text[-1]) if text[-1] in "。；，;," else (text, "")
    return f"{body}（{'、'.join(names)}尚未完成）{end}"


def check_missing(document: NoticeDocument) -> None:
    """Raise ``MissingReports`` when any measure has no report as of the notice date (``--strict``)."""
    if document.missing:
        raise MissingReports([str(m) for m in document.missing], document.as_of.isoformat())


def _text(value: str | None) -> str | None:
    return value.strip() or None if value else None
