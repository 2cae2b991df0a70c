"""The 督办单 (supervision sheet): what each escalation step past the unit (蓝/黄/红) issues, as pure rules.

A step of the ladder (``models.notifications.EscalationStep``) is recorded once; the step 蓝/黄/红 then
issues one 督办单, numbered per year the way an office numbers its documents (``督办〔2026〕12号``, the
代字 ``Settings.duban_code``, the year the step's). The sheet names the measure, its problem, the unit and
its leader, how far behind the unit is (working days overdue, or report periods missed), what is required
and the reply deadline in working days (``Settings.duban_reply_workdays``), and is signed by the
coordinator's office. Its text is built here (``sheet_text``) and laid out by ``tasks.notice.duban_docx``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from models.rules import chinese_ordinal, format_chinese_date

COLOUR = {"blue": "蓝色", "yellow": "黄色", "red": "红色"}  # the steps that issue a sheet
# RGB of the title of each colour's sheet (a dark gold for yellow: legible on white paper).
COLOUR_RGB = {"blue": (0x00, 0x5B, 0xAC), "yellow": (0xB8, 0x86, 0x0B), "red": (0xC0, 0x00, 0x00)}
REQUIREMENT = {
    "blue": "请责任领导督促落实，{unit}于{reply_by}前完成整改或书面报告整改进展、未按期完成的原因及下一步措施。",
    "yellow": "请{unit}主要负责同志亲自督办，于{reply_by}前完成整改并书面说明未按期完成的原因、"
    "责任落实情况及整改时间表，由责任领导签字确认。",
    "red": "请{unit}主要负责同志于{reply_by}前向局主要领导当面说明情况，提交整改情况及问责意见的书面报告；"
    "逾期仍未完成的，将按规定予以通报问责。",
}


REPLY_MAX = 2000  # characters of a written reply
_NUMBER = re.compile(r"〔(\d{4})〕(\d{1,9})号$")
NEXT_LEVEL = {"blue": "yellow", "yellow": "red"}  # where an unanswered sheet takes the ladder


def sheet_ref(year: int, serial: int) -> str:
    """A sheet's short reference in a URL: ``2026-12`` for 督办〔2026〕12号."""
    return f"{year}-{serial}"


def number_ref(number: object) -> str | None:
    """The reference (``2026-12``) of a sheet's number ``督办〔2026〕12号``; None for anything else."""
    match = _NUMBER.search(number) if isinstance(number, str) else None
    return sheet_ref(int(match.group(1)), int(match.group(2))) if match else None


def moves_on(level: str, reply_by: date, *, answered: bool, finished: bool, today: date) -> str | None:
    """The step a 督办单 takes the ladder to when its reply deadline has passed without a reply.

    None while the deadline has not passed (the reply is due by the end of ``reply_by``), once the unit
    has replied, once the measure is finished (done or closed), and for a red sheet (the top step)."""
    if answered or finished or today <= reply_by:
        return None
    return NEXT_LEVEL.get(level)


@dataclass(frozen=True)
class SheetNumber:
    """督办〔2026〕12号: the 代字, the year and the serial number in that year."""

    code: str
    year: int
    serial: int

    def __str__(self) -> str:
        return f"{self.code}〔{self.year}〕{self.serial}号"


@dataclass(frozen=True)
class SheetFacts:
    """What a 督办单 says: stored with its number when the step is recorded, never changed."""

    number: str
    level: str  # blue, yellow, red
    measure_code: str
    measure_text: str
    problem: str  # 一、…: the problem's ordinal and title
    unit: str
    leader: str | None
    deadline: date | None
    overdue_workdays: int | None  # working days overdue (an overdue step)
    missed_periods: int | None  # consecutive report periods missed (a silence step)
    issued_on: date
    reply_by: date
    reply_workdays: int
    issuer: str
    unsigned_workdays: int | None = None  # working days the assignment was unsigned (a 签收 step)


def problem_label(ordinal: int, title: str) -> str:
    """``问题一：…`` (the title alone when the problem has no ordinal)."""
    return f"问题{chinese_ordinal(ordinal)}：{title}" if ordinal else title


def title(facts: SheetFacts) -> str:
    """The sheet's title: ``整改事项蓝色督办单``."""
    return f"整改事项{COLOUR[facts.level]}督办单"


def shortfall(facts: SheetFacts) -> str:
    """How far behind the unit is, in working days overdue, report periods missed or unsigned."""
    if facts.unsigned_workdays:
        return f"任务下达后已{facts.unsigned_workdays}个工作日未签收"
    if facts.missed_periods:
        return f"已连续{facts.missed_periods}个报送周期未报送整改进展"
    deadline = format_chinese_date(facts.deadline) if facts.deadline else "规定时限"
    return f"完成时限为{deadline}，截至{format_chinese_date(facts.issued_on)}已逾期{facts.overdue_workdays}个工作日仍未完成"


def sheet_text(facts: SheetFacts) -> list[str]:
    """The sheet's paragraphs after its title and number: addressee, the facts, the requirement, the reply."""
    leader = f"，责任领导{facts.leader}" if facts.leader else ""
    reply_by = format_chinese_date(facts.reply_by)
    return [
        f"{facts.unit}：",
        f"你单位牵头的整改措施“{facts.measure_text}”（{facts.measure_code}，{facts.problem}{leader}），"
        f"{shortfall(facts)}。根据整改工作督办规定，现予{COLOUR[facts.level]}督办。",
        "督办要求：" + REQUIREMENT[facts.level].format(unit="你单位", reply_by=reply_by),
        f"回复时限：{facts.reply_workdays}个工作日，请于{reply_by}前通过整改系统报送进展或书面回复督办室。",
    ]


def summary_line(facts: SheetFacts) -> str:
    """One line for a list: number, colour, measure, unit, shortfall."""
    return f"{facts.number}  {COLOUR[facts.level]}  {facts.measure_code}  {facts.unit}  {shortfall(facts)}"
