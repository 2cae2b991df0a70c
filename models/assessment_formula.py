"""The assessment formula (考评计分办法): a versioned mapping of weights, caps and list rules, and the
scoring that turns ``UnitRecord``s into a ``Ranking``. Pure: the YAML is read elsewhere.

Every point is a ``Line``: the rule that gave it, the measure and the day, the points after the share's
weight. Caps and the floor are lines too, so the lines of a unit always add up to its base score. The
加减分 stay apart: ``UnitScore.total`` is the base score plus them, and the total ranks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from models.assessment import (
    COLOUR_LABEL,
    LIST_LABEL,
    ROLE_LABEL,
    Line,
    ListKind,
    Period,
    Ranking,
    ReviewDecision,
    Role,
    ShareRecord,
    UnitRecord,
    UnitScore,
)
from models.enums import UnitKind
from models.errors import InvalidFormula, PlanIssue
from models.periods import ReportOutcome
from models.rules import format_chinese_date

# Rule keys in the formula file, with the words a ranking prints. Order = the order explain lists them.
RULES: dict[str, str] = {
    "report_on_time": "按时报送进展",
    "report_late": "迟报进展",
    "report_missing": "未报送进展",
    "completed_on_time": "按期完成",
    "completed_extended": "延期后按期完成",
    "completed_late": "逾期完成",
    "extension": "获批延期",
    "overdue_workday": "逾期（每个工作日）",
    "escalation_blue": "蓝色督办",
    "escalation_yellow": "黄色督办",
    "escalation_red": "红色督办",
    "returned": "审核退回",
    "closed_on_time": "按期销号",
    "closed_late": "逾期销号",
    "ack_late_workday": "签收延迟（每个工作日）",
}
# Lines that are not rules of the file: a rule's cap reached, the floor or ceiling of the base score.
ADJUSTING_RULES = {"cap": "单项封顶", "floor": "保底", "ceiling": "封顶"}
RULE_LABEL = {**RULES, **ADJUSTING_RULES}
NOT_RANKED_KINDS = {
    UnitKind.EXTERNAL.value: "区外单位不参与排名",
    UnitKind.LEADERSHIP.value: "领导班子不参与排名",
}
CENT = Decimal("0.01")


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@dataclass(frozen=True)
class Rule:
    """Points per record (times the share's weight), and the most one unit can get from it in a period."""

    points: Decimal
    cap: Decimal | None = None


@dataclass(frozen=True)
class ListRule:
    """Who goes on a list: up to ``size`` units (ties at the border all go) past ``threshold``.

    For 红榜 ``threshold`` is the lowest total and ``rules`` keep a unit off (it had such a line); for
    黑榜 ``threshold`` is the highest total and ``rules`` put a unit on whatever its rank.
    """

    size: int
    threshold: Decimal | None = None
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Formula:
    """A versioned formula; ``source`` is the mapping as written (stored beside every result)."""

    name: str
    version: str
    base: Decimal
    floor: Decimal | None
    ceiling: Decimal | None
    weights: Mapping[Role, Decimal]
    ack_within_workdays: int
    rules: Mapping[str, Rule]
    red: ListRule
    black: ListRule
    source: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        return f"{self.name}（{self.version}）"

    def rule(self, key: str) -> Rule:
        """A rule of the formula; a rule the file leaves out scores nothing."""
        return self.rules.get(key, Rule(Decimal(0)))


Path = tuple[str | int, ...]
_TOP = {"name", "version", "base", "floor", "ceiling", "weights", "ack_within_workdays", "rules", "lists"}


def formula_problems(mapping: Any) -> list[tuple[Path, str]]:
    """Every problem of a formula mapping, each with its path (``rules.report_late.points``)."""
    if not isinstance(mapping, Mapping):
        return [((), "a formula is a mapping with name, version, base, weights, rules and lists")]
    problems: list[tuple[Path, str]] = []
    for key in mapping:
        if key not in _TOP:
            problems.append(((str(key),), f"is not a known field (known: {', '.join(sorted(_TOP))})"))
    problems += _header_problems(mapping)
    problems += _weight_problems(mapping.get("weights", {}))
    problems += _rule_problems(mapping.get("rules", {}))
    problems += _list_problems(mapping.get("lists", {}))
    return problems


def _header_problems(mapping: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """Name, version, base, floor and ceiling, the 签收 allowance."""
    problems: list[tuple[Path, str]] = []
    for key in ("name", "version"):
        value = mapping.get(key)
        if not isinstance(value, str | int | float) or isinstance(value, bool) or not str(value).strip():
            problems.append(((key,), 'is required (text, e.g. version: "2026.1")'))
    if _number(mapping.get("base")) is None:
        problems.append((("base",), "is required and must be a number (e.g. 100)"))
    for key in ("floor", "ceiling"):
        if mapping.get(key) is not None and _number(mapping[key]) is None:
            problems.append(((key,), "must be a number or null"))
    floor, ceiling = _number(mapping.get("floor")), _number(mapping.get("ceiling"))
    if floor is not None and ceiling is not None and floor > ceiling:
        problems.append((("floor",), f"{floor} is above the ceiling {ceiling}"))
    allowance = mapping.get("ack_within_workdays", 1)
    if isinstance(allowance, bool) or not isinstance(allowance, int) or allowance < 0:
        problems.append((("ack_within_workdays",), "must be a whole number of working days (0 or more)"))
    return problems


def _weight_problems(weights: Any) -> list[tuple[Path, str]]:
    if not isinstance(weights, Mapping):
        return [(("weights",), "must map lead and co to a weight")]
    problems: list[tuple[Path, str]] = []
    for key, value in weights.items():
        if key not in {r.value for r in Role}:
            problems.append((("weights", str(key)), "is not a share (lead or co)"))
        elif (number := _number(value)) is None or number < 0:
            problems.append((("weights", str(key)), "must be a number, 0 or more"))
    return problems


def _rule_problems(rules: Any) -> list[tuple[Path, str]]:
    if not isinstance(rules, Mapping):
        return [(("rules",), "must map rule names to {points, cap}")]
    problems: list[tuple[Path, str]] = []
    for key, rule in rules.items():
        path: Path = ("rules", str(key))
        if key not in RULES:
            problems.append((path, f"is not a rule (known: {', '.join(RULES)})"))
            continue
        if not isinstance(rule, Mapping):
            problems.append((path, "must be a mapping: {points: -1, cap: -10}"))
            continue
        for extra in set(rule) - {"points", "cap"}:
            problems.append(((*path, str(extra)), "is not a known field (points, cap)"))
        points = _number(rule.get("points"))
        if points is None:
            problems.append(((*path, "points"), "is required and must be a number"))
        cap = rule.get("cap")
        if cap is not None:
            cap_number = _number(cap)
            if cap_number is None:
                problems.append(((*path, "cap"), "must be a number or null"))
            elif points is not None and (cap_number * points < 0 or (cap_number == 0) != (points == 0)):
                problems.append(((*path, "cap"), f"must have the sign of the points ({points})"))
    return problems


def _list_problems(lists: Any) -> list[tuple[Path, str]]:
    if not isinstance(lists, Mapping):
        return [(("lists",), "must map red and black to their rules")]
    problems: list[tuple[Path, str]] = []
    allowed = {"red": {"size", "min_score", "exclude_rules"}, "black": {"size", "max_score", "always_rules"}}
    for key, spec in lists.items():
        if key not in allowed:
            problems.append(((str(key),), "is not a list (red or black)"))
            continue
        if not isinstance(spec, Mapping):
            problems.append((("lists", key), "must be a mapping"))
            continue
        for extra in set(spec) - allowed[key]:
            problems.append(
                (("lists", key, str(extra)), f"is not a known field ({', '.join(sorted(allowed[key]))})")
            )
        size = spec.get("size", 0)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            problems.append((("lists", key, "size"), "must be a whole number, 0 or more"))
        for threshold in ("min_score", "max_score"):
            if spec.get(threshold) is not None and _number(spec[threshold]) is None:
                problems.append((("lists", key, threshold), "must be a number or null"))
        for rules_key in ("exclude_rules", "always_rules"):
            names = spec.get(rules_key, [])
            if not isinstance(names, list) or any(name not in RULES for name in names):
                problems.append((("lists", key, rules_key), f"must list rules of: {', '.join(RULES)}"))
    return problems


def parse_formula(mapping: Any, where: Callable[[Path], str] | str = "formula") -> Formula:
    """A ``Formula`` from its mapping; raise ``InvalidFormula`` with every problem placed by ``where``."""
    problems = formula_problems(mapping)
    if problems:
        place = where if callable(where) else (lambda _path: str(where))
        raise InvalidFormula(
            [PlanIssue(place(path), ".".join(str(p) for p in path), message) for path, message in problems]
        )
    weights = mapping.get("weights", {})
    rules = mapping.get("rules", {})
    lists = mapping.get("lists", {})
    red, black = lists.get("red", {}), lists.get("black", {})
    return Formula(
        name=str(mapping["name"]).strip(),
        version=str(mapping["version"]).strip(),
        base=_required(mapping["base"]),
        floor=_number(mapping.get("floor")),
        ceiling=_number(mapping.get("ceiling")),
        weights={
            role: _number(weights.get(role.value, 1 if role == Role.LEAD else 0.5)) or Decimal(0)
            for role in Role
        },
        ack_within_workdays=int(mapping.get("ack_within_workdays", 1)),
        rules={key: Rule(_required(rule["points"]), _number(rule.get("cap"))) for key, rule in rules.items()},
        red=ListRule(
            int(red.get("size", 0)), _number(red.get("min_score")), tuple(red.get("exclude_rules", []))
        ),
        black=ListRule(
            int(black.get("size", 0)), _number(black.get("max_score")), tuple(black.get("always_rules", []))
        ),
        source=dict(mapping),
    )


def _required(value: Any) -> Decimal:
    number = _number(value)
    assert number is not None  # checked by formula_problems
    return number


# -- scoring ----------------------------------------------------------------------------------------


def format_points(points: Decimal) -> str:
    """Points with their sign and no trailing zeros: ``+2``, ``-0.5``, ``0``."""
    text = format_score(points)
    return f"+{text}" if points > 0 else text


def format_score(score: Decimal) -> str:
    """A score without trailing zeros: ``97.5``, ``100``."""
    text = f"{score.quantize(CENT):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _local(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def _hm(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.month}月{local.day}日{local:%H:%M}"


class _Lines:
    """The lines of one share: each rule's points times the share's weight, zero-point rules left out."""

    def __init__(self, share: ShareRecord, formula: Formula, timezone: str) -> None:
        self.share, self.formula, self.timezone = share, formula, timezone
        self.weight = formula.weights.get(share.role, Decimal(0))
        self.role = ROLE_LABEL[share.role] + (f"·{share.collective}成员" if share.collective else "")
        self.lines: list[Line] = []

    def add(self, rule: str, day: date, detail: str, count: int = 1) -> None:
        points = (self.formula.rule(rule).points * count * self.weight).quantize(CENT)
        if points:
            self.lines.append(Line(self.share.measure_code, day, rule, points, f"{detail}（{self.role}）"))

    def day(self, moment: datetime) -> date:
        return _local(moment, self.timezone)


def share_lines(share: ShareRecord, formula: Formula, timezone: str) -> list[Line]:
    """The lines one share gives under ``formula`` (zero-point rules give none)."""
    lines = _Lines(share, formula, timezone)
    _report_lines(lines)
    _completion_lines(lines)
    _event_lines(lines)
    return lines.lines


def _report_lines(lines: _Lines) -> None:
    """Each cadence period due: answered on time, late, or not at all."""
    zone = lines.timezone
    for period in lines.share.report_periods:
        window = f"报送周期{_hm(period.start, zone)}至{_hm(period.due, zone)}"
        if period.outcome == ReportOutcome.ON_TIME:
            lines.add("report_on_time", lines.day(period.due), window)
        elif period.outcome == ReportOutcome.LATE and period.reported_at is not None:
            late = f"{window}，{_hm(period.reported_at, zone)}补报"
            lines.add("report_late", lines.day(period.reported_at), late)
        else:
            lines.add("report_missing", lines.day(period.due), f"{window}，未报送")


def _completion_lines(lines: _Lines) -> None:
    """Completed by the original deadline, by the extended one, or late; each approved extension."""
    share = lines.share
    if share.completed_at is not None and share.deadline is not None:
        done = lines.day(share.completed_at)
        original = share.original_deadline or share.deadline
        text = f"{format_chinese_date(done)}报完成，完成时限{format_chinese_date(share.deadline)}"
        if done <= original:
            lines.add("completed_on_time", done, text)
        elif done <= share.deadline:
            lines.add("completed_extended", done, f"{text}（原时限{format_chinese_date(original)}）")
        else:
            lines.add("completed_late", done, text)
    for extension in share.extensions:
        moved = f"完成时限由{format_chinese_date(extension.original)}延至{format_chinese_date(extension.new)}"
        lines.add("extension", lines.day(extension.approved_at), moved)


def _event_lines(lines: _Lines) -> None:
    """Overdue working days, escalation steps, reviews (退回, 销号), 签收 delay."""
    share = lines.share
    if share.overdue_days:
        days = share.overdue_days
        lines.add("overdue_workday", days[-1], f"逾期{len(days)}个工作日（{_span(days)}）", count=len(days))
    for step in share.escalations:
        lines.add(f"escalation_{step.colour.value}", lines.day(step.at), f"{COLOUR_LABEL[step.colour]}色督办")
    for review in share.reviews:
        day = lines.day(review.at)
        if review.decision == ReviewDecision.RETURNED:
            lines.add("returned", day, "完成情况审核退回")
        elif share.deadline is not None:
            rule = "closed_on_time" if day <= share.deadline else "closed_late"
            lines.add(rule, day, f"{format_chinese_date(day)}销号")
    if share.ack_late_days:
        days = share.ack_late_days
        lines.add(
            "ack_late_workday", days[-1], f"签收延迟{len(days)}个工作日（{_span(days)}）", count=len(days)
        )


def _span(days: Sequence[date]) -> str:
    first, last = days[0], days[-1]
    if first == last:
        return f"{first.month}月{first.day}日"
    return f"{first.month}月{first.day}日至{last.month}月{last.day}日"


def score_unit(unit: UnitRecord, formula: Formula, period: Period, timezone: str) -> UnitScore:
    """A unit's base score (base + its lines, capped per rule, held within floor and ceiling)."""
    asked = unit.asked
    lines: list[Line] = []
    for share in sorted(asked, key=lambda s: (s.measure_code, s.role.value)):
        lines += share_lines(share, formula, timezone)
    order = list(RULES)
    lines.sort(key=lambda line: (order.index(line.rule), line.day, line.measure_code))
    for key in RULES:
        cap = formula.rule(key).cap
        total = sum((line.points for line in lines if line.rule == key), Decimal(0))
        if cap is not None and abs(total) > abs(cap):
            lines.append(
                Line(
                    "",
                    period.last,
                    "cap",
                    cap - total,
                    f"{RULES[key]}累计{format_points(total)}分，以{format_points(cap)}分为限",
                )
            )
    raw = formula.base + sum((line.points for line in lines), Decimal(0))
    if formula.floor is not None and raw < formula.floor:
        lines.append(
            Line(
                "",
                period.last,
                "floor",
                formula.floor - raw,
                f"基础得分不低于{format_score(formula.floor)}分",
            )
        )
    elif formula.ceiling is not None and raw > formula.ceiling:
        lines.append(
            Line(
                "",
                period.last,
                "ceiling",
                formula.ceiling - raw,
                f"基础得分不高于{format_score(formula.ceiling)}分",
            )
        )
    base_score = formula.base + sum((line.points for line in lines), Decimal(0))
    adjustment = sum((a.points for a in unit.adjustments), Decimal(0))
    reason = NOT_RANKED_KINDS.get(unit.kind, "" if asked else "本期无考评事项")
    return UnitScore(
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        asked=len({share.measure_code for share in asked}),
        base_score=base_score.quantize(CENT),
        adjustment=adjustment.quantize(CENT),
        lines=tuple(lines),
        adjustments=unit.adjustments,
        ranked=not reason,
        unranked_reason=reason,
        collective=unit.collective,
    )


TIE_NOTE = "得分相同的单位名次并列，其后名次顺延；并列单位按单位名称排列。"


def assess(
    units: Sequence[UnitRecord],
    formula: Formula,
    period: Period,
    *,
    round_code: str,
    timezone: str,
    previous_totals: Mapping[str, Decimal] | None = None,
) -> Ranking:
    """Score every unit, rank the ranked ones (ties share a rank) and put units on 红榜/黑榜."""
    scores = [score_unit(unit, formula, period, timezone) for unit in units]
    return rank_scores(scores, formula, period, round_code=round_code, previous_totals=previous_totals)


def rank_scores(
    scores: Sequence[UnitScore],
    formula: Formula,
    period: Period,
    *,
    round_code: str,
    previous_totals: Mapping[str, Decimal] | None = None,
) -> Ranking:
    """Ranks, ties, lists and the change since the previous period, for scores already computed."""
    previous = previous_totals or {}
    ranked = sorted((s for s in scores if s.ranked), key=lambda s: (-s.total, s.name, s.code))
    ranks: dict[str, int] = {}
    counts: dict[Decimal, int] = {}
    for position, score in enumerate(ranked, start=1):
        counts[score.total] = counts.get(score.total, 0) + 1
        same = next((ranks[s.code] for s in ranked[: position - 1] if s.total == score.total), None)
        ranks[score.code] = same if same is not None else position
    notes = []
    for total, count in sorted(counts.items(), key=lambda item: -item[0]):
        if count > 1:
            names = "、".join(s.name for s in ranked if s.total == total)
            shared = next(ranks[s.code] for s in ranked if s.total == total)
            notes.append(f"第{shared}名并列{count}个单位（{names}，均为{format_score(total)}分）。")
    if notes:
        notes.insert(0, TIE_NOTE)
    lists, list_notes = _lists(ranked, ranks, formula)
    notes += list_notes
    out = []
    for score in scores:
        rank = ranks.get(score.code)
        kind, why = lists.get(score.code, (None, ""))
        out.append(
            replace(
                score,
                rank=rank,
                tied=rank is not None and counts[score.total] > 1,
                list=kind,
                list_reason=why,
                change=(score.total - previous[score.code]) if score.code in previous else None,
            )
        )
    out.sort(key=lambda s: (s.rank is None, s.rank or 0, s.name, s.code))
    return Ranking(round_code, period, formula.name, formula.version, tuple(out), tuple(notes))


def _pick(candidates: list[UnitScore], ranks: Mapping[str, int], size: int) -> list[UnitScore]:
    """The first ``size`` candidates, and every one tied with the last of them."""
    picked: list[UnitScore] = []
    for score in candidates:
        if len(picked) >= size and (not picked or ranks[score.code] != ranks[picked[-1].code]):
            break
        picked.append(score)
    return picked


def _lists(
    ranked: list[UnitScore], ranks: Mapping[str, int], formula: Formula
) -> tuple[dict[str, tuple[ListKind, str]], list[str]]:
    lists: dict[str, tuple[ListKind, str]] = {}
    notes: list[str] = []
    black_rule, red_rule = formula.black, formula.red
    for score in ranked:
        hit = [RULES[line.rule] for line in score.lines if line.rule in black_rule.rules]
        if hit:
            lists[score.code] = (ListKind.BLACK, f"本期有{'、'.join(dict.fromkeys(hit))}")
    bottom = [
        s
        for s in reversed(ranked)
        if s.code not in lists and (black_rule.threshold is None or s.total <= black_rule.threshold)
    ]
    picked = _pick(bottom, ranks, black_rule.size)
    for score in picked:
        lists[score.code] = (ListKind.BLACK, f"得分{format_score(score.total)}，位列第{ranks[score.code]}名")
    if len(picked) > black_rule.size:
        notes.append(f"黑榜末位并列，{len(picked)}个单位同时列入。")
    top = [
        s
        for s in ranked
        if s.code not in lists
        and (red_rule.threshold is None or s.total >= red_rule.threshold)
        and not any(line.rule in red_rule.rules for line in s.lines)
    ]
    picked = _pick(top, ranks, red_rule.size)
    for score in picked:
        lists[score.code] = (ListKind.RED, f"得分{format_score(score.total)}，位列第{ranks[score.code]}名")
    if len(picked) > red_rule.size:
        notes.append(f"红榜末位并列，{len(picked)}个单位同时列入。")
    return lists, notes


def list_rules_text(formula: Formula) -> list[str]:
    """The 红榜/黑榜 rules in words, for documents and help."""
    red, black = formula.red, formula.black
    red_text = f"{LIST_LABEL[ListKind.RED]}：得分前{red.size}名"
    if red.threshold is not None:
        red_text += f"且不低于{format_score(red.threshold)}分"
    if red.rules:
        red_text += f"，本期有{'、'.join(RULES[r] for r in red.rules)}的单位不列入"
    black_text = f"{LIST_LABEL[ListKind.BLACK]}：得分后{black.size}名"
    if black.threshold is not None:
        black_text += f"且不高于{format_score(black.threshold)}分"
    if black.rules:
        black_text += f"；本期有{'、'.join(RULES[r] for r in black.rules)}的单位一律列入"
    return [red_text + "（同分并列者一并列入）。", black_text + "（同分并列者一并列入）。"]
