"""The facts a notice states in sentences: the preamble's dates and bodies, the statistics, the contact block.

Pure functions on one paragraph's text, used by ``tasks.exchange.notice_parser``. Numbers may be
full-width (２０２４) and dates written in Chinese numerals (二〇二三年十月九日); both are read as digits.
A date written without its year takes the year of the date before it. See docs/importing.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tasks.exchange.notice_outcome import chinese_number

# -- digits -------------------------------------------------------------------------------------

_CN_YEAR_DIGITS = str.maketrans("〇零○一二三四五六七八九", "000123456789")
CN_DATE_RE = re.compile(
    r"(?:(?P<y>[〇零○一二三四五六七八九]{4})\s*年\s*)?(?P<m>[一二三四五六七八九十]{1,2})\s*月"
    r"(?:\s*(?P<d>[一二三四五六七八九十]{1,3})\s*日)?"
)


def _cn_date(match: re.Match[str]) -> str:
    year = f"{match.group('y').translate(_CN_YEAR_DIGITS)}年" if match.group("y") else ""
    day = f"{chinese_number(match.group('d'))}日" if match.group("d") else ""
    return f"{year}{chinese_number(match.group('m'))}月{day}"


def plain(text: str) -> str:
    """The text as the fact patterns read it: NFKC (full-width digits and punctuation to ASCII) and
    dates in Chinese numerals as digits (二〇二四年一月二十六日 → 2024年1月26日)."""
    return CN_DATE_RE.sub(_cn_date, unicodedata.normalize("NFKC", text))


# -- dates --------------------------------------------------------------------------------------

DATE = r"(?:(?P<{p}y>\d{{4}})\s*年\s*)?(?P<{p}m>\d{{1,2}})\s*月\s*(?P<{p}d>\d{{1,2}})\s*日"
RANGE_RE = re.compile(DATE.format(p="s") + r"\s*(?:至|到|—+|-+|－|～|~)\s*" + DATE.format(p="e"))
START_RE = re.compile(DATE.format(p="s") + r"\s*(?:起\s*)?(?:进驻|开始)")
END_RE = re.compile(DATE.format(p="e") + r"\s*(?:结束|撤离|完成进驻)")
FEEDBACK_RE = re.compile(
    DATE.format(p="f")
    + r"\s*,?\s*(?:"
    + r"(?P<body>[^,。;]*?)(?:向(?P<recipient>[^,。;]+?))?(?:集中|正式|书面)?反馈"
    + r"|[^,。;]{0,8}?(?:出具|印发|送达|下达)了?(?:审计报告|审计决定书|审计意见|巡察反馈意见|反馈意见)"
    + r")"
)
DATE_LINE_RE = re.compile(r"^[(（]?\s*" + DATE.format(p="n") + r"\s*[)）]?$")
ANY_DATE_RE = re.compile(DATE.format(p="a"))

INSPECTOR_RE = re.compile(
    r"(?:中央|中共[^,。;，]{0,12}?委员会|[省市县区州盟旗]委|[省市县区]政府|[省市县区]纪委监委)?"
    r"(?:第[一二三四五六七八九十]+)?(?:巡察组|巡视组|督察组|督查组|审计组|巡察工作组)"
    r"|(?:[省市县区]|国家)?审计(?:局|厅|署)"
)
INSPECTION_RE = re.compile(
    r"对(?P<target>[^,。;]+?)(?:进行了|开展了|进行|开展)(?P<kind>[^,。;]*?(?:巡察|巡视|审计|督察|督查))"
)
KIND_RE = re.compile(r"(?:常规|专项|机动|提级|交叉|联动|延伸|回头看)?(?:巡察|巡视|审计|督察|督查)")
INSPECTION_WORDS = re.compile(r"巡察|巡视|审计|督察|督查")


def make_date(y: str | None, m: str, d: str, default_year: int | None) -> date | None:
    """A date from its parts; a missing year takes ``default_year``; None when impossible."""
    year = int(y) if y else default_year
    if year is None:
        return None
    try:
        return date(year, int(m), int(d))
    except ValueError:
        return None


def _group_date(match: re.Match[str], p: str, default_year: int | None) -> date | None:
    return make_date(match.group(f"{p}y"), match.group(f"{p}m"), match.group(f"{p}d"), default_year)


@dataclass
class PreambleFacts:
    """What a preamble says about the round (None where it does not say)."""

    inspecting_body: str | None = None
    inspected_short: str | None = None
    inspection_kind: str | None = None
    feedback_recipient: str | None = None
    inspection_start: date | None = None
    inspection_end: date | None = None
    feedback_date: date | None = None


def looks_like_preamble(text: str) -> bool:
    """A paragraph that opens a notice: the inspection with its dates, or 现将…如下/予以公布."""
    value = plain(text)
    inspection = INSPECTION_WORDS.search(value)
    dated = RANGE_RE.search(value) or START_RE.search(value) or FEEDBACK_RE.search(value)
    if inspection and (dated or re.search(r"对.{1,30}(?:进行|开展)|反馈|部署", value)):
        return True
    return bool(ANNOUNCEMENT_RE.search(value))


def read_preamble(text: str) -> PreambleFacts:
    """The inspection dates, the feedback date, the inspecting body and what was inspected."""
    value = plain(text)
    facts = PreambleFacts()
    after = _inspection_dates(facts, value)
    default_year = (facts.inspection_end or facts.inspection_start or date.min).year
    feedback = FEEDBACK_RE.search(value, after)
    if feedback:
        facts.feedback_date = _group_date(feedback, "f", default_year if default_year > 1 else None)
        if feedback.group("recipient"):
            facts.feedback_recipient = feedback.group("recipient").strip()
    inspector = INSPECTOR_RE.search(value)
    inspection = INSPECTION_RE.search(value)
    if inspector:
        facts.inspecting_body = inspector.group().strip()
    elif inspection:
        body = re.split(r"[,，]", value[: inspection.start()])[-1].strip()
        facts.inspecting_body = re.sub(r"^(?:并|于|由)", "", body) or None
    if inspection:
        target = re.split(r"\d{4}年", inspection.group("target"))[0].strip()
        facts.inspected_short = target or None
        kind = KIND_RE.search(inspection.group("kind"))
        facts.inspection_kind = kind.group() if kind else None
    if facts.inspection_kind is None and (kind := re.search(r"(?:常规|专项|机动|提级)(?:巡察|巡视)", value)):
        facts.inspection_kind = kind.group()
    return facts


def _inspection_dates(facts: PreambleFacts, value: str) -> int:
    """Read the inspection's dates; return where the feedback date may start to be looked for."""
    span = RANGE_RE.search(value)
    if span:
        start = _group_date(span, "s", None)
        end = _group_date(span, "e", start.year if start else None)
        if end and start and end < start and not span.group("ey"):
            end = end.replace(year=end.year + 1)
        facts.inspection_start, facts.inspection_end = start, end
        return span.end()
    after = 0
    begin = START_RE.search(value)
    if begin:
        facts.inspection_start = _group_date(begin, "s", None)
        after = begin.end()
    finish = END_RE.search(value, after)
    if finish:
        year = facts.inspection_start.year if facts.inspection_start else None
        facts.inspection_end = _group_date(finish, "e", year)
        after = finish.end()
    return after


def date_line(text: str) -> date | None:
    """A line holding only a full date (the notice's date under the signature): 2024年3月28日."""
    match = DATE_LINE_RE.match(plain(text).strip())
    return _group_date(match, "n", None) if match else None


# -- statistics ---------------------------------------------------------------------------------

COUNT = r"(?P<v>\d+)\s*"
_UNIT = r"[个项条]"
_STOP = r"[^,，。;；\d]"
STATISTICS_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "aspects": (re.compile(COUNT + r"个方面"),),
    "problems": (
        re.compile(COUNT + r"个(?:具体|反馈|巡察反馈|审计|审计发现)?问题"),
        re.compile(r"问题\s*(?:共|总计|合计|总数)?\s*" + COUNT + r"个"),
    ),
    "measures": (
        re.compile(r"(?:整改措施|整改任务)\s*(?:共)?\s*" + COUNT + r"[项条]"),
        re.compile(COUNT + r"[项条](?:具体)?(?:整改)?(?:措施|任务)"),
    ),
    "completed": (
        re.compile(
            r"(?:已完成整改|已整改完成|已整改到位|已完成|完成整改|整改完成|整改到位|已整改|已办结|已销号)"
            r"\s*(?:的)?\s*" + COUNT + _UNIT
        ),
    ),
    "in_progress": (
        re.compile(
            r"(?:正在整改|正在推进|持续整改|持续推进|推进中|整改中|尚未完成|未完成)\s*(?:的)?\s*"
            + COUNT
            + _UNIT
        ),
        re.compile(COUNT + _UNIT + _STOP + r"{0,12}?(?:正在|持续推进|推进中|整改中)"),
    ),
    "rules_made": (
        re.compile(r"制度" + _STOP + r"{0,6}?" + COUNT + r"[项条个部件]"),
        re.compile(COUNT + r"[项条个部件]" + _STOP + r"{0,4}?制度"),
    ),
    "people_dealt_with": (
        re.compile(
            r"(?:追责问责|问责处理|组织处理|党纪政务处分|问责|追责|处分|处理)"
            + _STOP
            + r"{0,6}?"
            + COUNT
            + r"(?:人|名)"
        ),
    ),
}
RATE_RE = re.compile(r"完成率\s*(?:为|达到?|是)?\s*(?P<v>\d+(?:\.\d+)?)\s*%")
MONEY_RE = re.compile(
    r"(?:追回|收回|挽回|收缴|追缴|退还|退回|清退|盘活|归还)"
    + _STOP
    + r"{0,10}?(?P<v>\d+(?:\.\d+)?)\s*(?P<unit>亿|万)?元"
)
ALL_DONE_RE = re.compile(r"(?:已全部|全部|均已)(?:整改完成|完成整改|整改到位|办结|销号|完成)")
SECONDARY = ("rules_made", "money_recovered_yuan", "people_dealt_with")
STATISTICS_FIELDS = (
    "problems",
    "measures",
    "completed",
    "in_progress",
    "completion_rate",
    "aspects",
    *SECONDARY,
)


def _number(value: str) -> int | float:
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else float(number)


def parse_statistics(text: str) -> dict[str, Any]:
    """A statistics paragraph as its figures (only those it states) and the paragraph as ``text``.

    ``problems``, ``completed``, ``in_progress``, ``completion_rate`` (percent), ``aspects`` (方面),
    ``measures``, ``rules_made`` (制度), ``money_recovered_yuan`` (追回/收回资金 in 元: 356.8万元 →
    3568000) and ``people_dealt_with`` (问责/处理 人).
    """
    value = plain(text)
    figures: dict[str, Any] = {}
    for name, patterns in STATISTICS_PATTERNS.items():
        for pattern in patterns:
            if match := pattern.search(value):
                figures[name] = int(match.group("v"))
                break
    if ALL_DONE_RE.search(value) and "problems" in figures and "completed" not in figures:
        figures["completed"] = figures["problems"]
        figures.setdefault("in_progress", 0)
    if rate := RATE_RE.search(value):
        figures["completion_rate"] = _number(rate.group("v"))
    if money := MONEY_RE.search(value):
        scale = {"亿": 100_000_000, "万": 10_000, None: 1}[money.group("unit")]
        figures["money_recovered_yuan"] = _number(str(Decimal(money.group("v")) * scale))
    return {name: figures[name] for name in STATISTICS_FIELDS if name in figures}


def is_statistics(text: str) -> bool:
    """A statistics paragraph: a completion rate, or counts of problems and of what was done, or at
    least two of the counts of rules made, money recovered and people dealt with."""
    figures = parse_statistics(text)
    if "completion_rate" in figures:
        return len(figures) > 1 or bool(re.search(r"\d+\s*[个项条]", plain(text)))
    done = {"completed", "in_progress"} & set(figures)
    if done and ({"problems", "aspects"} & set(figures) or len(done) == 2):
        return True
    return sum(name in figures for name in SECONDARY) >= 2


# -- the contact block --------------------------------------------------------------------------

PHONE_RE = re.compile(
    r"(?:联系电话|监督举报电话|举报电话|监督电话|咨询电话|办公电话|电话)\s*[:]?\s*"
    r"(?P<v>[(]?\d[\d()\-— 、]*\d)"
)
EMAIL_RE = re.compile(r"(?P<v>[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")
POSTCODE_RE = re.compile(r"(?:邮政编码|邮编)\s*[:]?\s*(?P<v>\d{6})(?!\d)")
ADDRESS_RE = re.compile(
    r"(?:邮政信箱|通信地址|通讯地址|来信地址|邮寄地址|来信请寄至?|来信寄至|地址)\s*[:：]?\s*(?P<v>[^，,；;。（(]+)"
)
PERSON_RE = re.compile(r"联系人\s*[:]?\s*(?P<v>[^,，;；。\s(（:：]{2,8}?)(?=[,，;；。\s(（]|$|联系|电话)")
CONTACT_RE = re.compile(
    r"联系人|联系电话|举报电话|监督电话|电话\s*[:]?\s*[(]?\d|邮政信箱|通信地址|通讯地址|来信(?:地址|请寄|寄至)|邮政编码|"
    r"邮编|电子邮箱|电子信箱|邮箱|@|联系方式"
)
SUPERVISION_RE = re.compile(
    r"^(?:欢迎|请|如有|对.{0,20}有.{0,6}(?:意见|建议)).{0,40}(?:监督|意见|建议|反映)|^特此(?:通报|公告|通告)"
)
ANNOUNCEMENT_RE = re.compile(r"现将.{0,30}(?:如下|予以公布|予以公告|公布|公告|通报)")


@dataclass
class ContactFacts:
    """The contact block: who to call or write to."""

    person: str | None = None
    phone: str | None = None
    address: str | None = None
    postcode: str | None = None
    email: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v is not None}


def is_contact(text: str) -> bool:
    """A closing paragraph: contact details, the invitation to supervise (欢迎…监督, 如有意见建议), or the
    closing formula (特此通报)."""
    return bool(CONTACT_RE.search(plain(text)) or SUPERVISION_RE.search(plain(text)))


def parse_contact(text: str) -> ContactFacts:
    """The person, phone, postal address, postcode and e-mail a closing names (each None if absent)."""
    value = unicodedata.normalize("NFKC", text)
    contact = ContactFacts()
    if match := PERSON_RE.search(value):
        contact.person = match.group("v")
    if match := PHONE_RE.search(value):
        contact.phone = match.group("v").strip(" 、")
    if match := ADDRESS_RE.search(text):  # the address keeps its full-width characters
        contact.address = match.group("v").strip()
    if match := POSTCODE_RE.search(value):
        contact.postcode = match.group("v")
    if match := EMAIL_RE.search(value):
        contact.email = match.group("v")
    return contact


def first_date(text: str) -> date | None:
    """The first full date a text names (a statistics paragraph's 截至 date, a page's date)."""
    match = ANY_DATE_RE.search(plain(text))
    return _group_date(match, "a", None) if match else None
