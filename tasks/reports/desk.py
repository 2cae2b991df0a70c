"""What the coordinators' and leaders' desk shows, as plain values (the pages in ``flows/web/pages/desk.py``).

The overview of a round: its counts (问题, 措施, 已完成, 已销号, 推进中, 逾期, 未按期报送, 今日到期) and the completion
rate as the notice computes it (``models.notice.NoticeStatistics``: done or closed over all measures;
逾期 by ``models.rules.is_overdue``), each unit's lead and co measures, and the measures behind each number
(filters ``unit``, ``light``, ``state``); the "today" panel adds 新增逾期 (``models.rules.is_newly_overdue``) and
the escalation steps recorded today (今日督办). The review queue: the done claims with the evidence of their
latest report, and the pending extension requests. Nothing here writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models.clock import Clock
from models.enums import EventKind, MeasureStatus
from models.measure_view import MeasureView
from models.notice import NoticeStatistics
from models.notifications import LEVEL_LABEL, LEVEL_ORDER, Level
from models.review_steps import ClaimStage
from models.rules import LIGHT_LABEL, STATE_LABEL, Light, is_finished, is_newly_overdue, is_overdue
from models.tables import StatusEvent, Unit
from models.workdays import WorkingCalendar
from tasks.ledger.queries import measure_views, only_round, round_codes
from tasks.reports.access import measure_reports
from tasks.reports.assignments import pending_extensions
from tasks.reports.review import claim_stages

# The overview's counts, in the order shown, with their Chinese names; each is also a ``state`` filter.
COUNTS = {
    "measures": "整改措施",
    "done": "已完成",
    "closed": "已销号",
    "in_progress": "推进中",
    "overdue": "逾期",
    "missing": "未按期报送",
    "due_today": "今日到期",
}
# The "today" panel's numbers beyond the counts (新增逾期, 今日督办); each is also a ``state`` filter.
TODAY = {"newly_overdue": "新增逾期", "escalated_today": "今日督办"}
STATES = {**COUNTS, **TODAY}  # every ``state`` filter value
LIGHT_WORD = {Light.GREEN: "绿", Light.YELLOW: "黄", Light.RED: "红"}


def in_count(
    view: MeasureView,
    key: str,
    today: date,
    *,
    calendar: WorkingCalendar | None = None,
    escalated: Collection[str] = (),
) -> bool:
    """Whether a measure is counted under ``key`` (one of ``STATES``), by the notice's rules.

    ``calendar`` (the ledger's) is needed for 新增逾期, ``escalated`` (the codes of the measures with an
    escalation recorded today) for 今日督办.
    """
    if key not in STATES:
        raise ValueError(f"'{key}' is not a count: {', '.join(STATES)}")
    if key == "newly_overdue" and calendar is None:
        raise ValueError("新增逾期 is counted on the ledger's calendar: none given")
    return key in counted_under(view, today, calendar=calendar, escalated=escalated)


def counted_under(
    view: MeasureView,
    today: date,
    *,
    calendar: WorkingCalendar | None = None,
    escalated: Collection[str] = (),
) -> frozenset[str]:
    """Every key of ``STATES`` a measure is counted under (新增逾期 only with a ``calendar``), each rule
    applied once."""
    finished = is_finished(view.status)
    overdue = is_overdue(view.status, view.deadline, today)
    keys = {"measures"}
    if finished:
        keys.add("done")
    if view.status == MeasureStatus.CLOSED:
        keys.add("closed")
    if overdue:
        keys.add("overdue")
        if calendar is not None and is_newly_overdue(view.status, view.deadline, today, calendar):
            keys.add("newly_overdue")
    elif not finished:
        keys.add("in_progress")
    if not finished and view.deadline == today:
        keys.add("due_today")
    if view.report_missing or any(share.report_missing for share in view.members):
        keys.add("missing")
    if view.code in escalated:
        keys.add("escalated_today")
    return frozenset(keys)


@dataclass(frozen=True)
class EscalationToday:
    """A 督办 step recorded today (the "today" panel's 今日督办): the measure, the step, its lead unit."""

    code: str
    measure_text: str
    level: Level
    unit: str
    at: datetime

    @property
    def step(self) -> str:
        return LEVEL_LABEL[self.level]


@dataclass
class UnitRow:
    """One unit's part of the round: the measures it leads or co-owns and how they stand."""

    code: str
    name: str
    lead: int = 0
    co: int = 0
    done: int = 0
    overdue: int = 0
    missing: int = 0
    last_report: datetime | None = None
    members: list[str] = field(default_factory=list)  # a collective's members, by name
    escalation: str = ""  # the highest 督办 step its measures are at now (LEVEL_LABEL), "" for none
    lights: dict[str, int] = field(default_factory=lambda: {light.value: 0 for light in Light})


@dataclass(frozen=True)
class Overview:
    """A round as of today: the counts, the completion rate, the units, and the measures the filters keep."""

    round_code: str
    rounds: tuple[str, ...]
    today: date
    problems: int
    counts: dict[str, int]
    statistics: NoticeStatistics
    units: tuple[UnitRow, ...]
    measures: tuple[MeasureView, ...]  # after the filters
    filters: dict[str, str]
    leaders: tuple[tuple[str, str], ...] = ()  # (contact code, how overviews name them) of the round
    views: tuple[MeasureView, ...] = ()  # every measure of the round, before the filters
    escalations: tuple[EscalationToday, ...] = ()  # recorded today, of the measures the filters keep

    @property
    def completion_rate(self) -> str:
        return self.statistics.completion_rate


def light_text(view: MeasureView) -> str:
    """The light in words beside its colour: ``红灯``."""
    return LIGHT_LABEL[view.light]


def state_text(view: MeasureView) -> str:
    return STATE_LABEL[view.state]


def _owners(view: MeasureView, names: dict[str, str]) -> tuple[set[str], set[str]]:
    """The codes of the units leading and co-owning a measure (a collective's members lead with it)."""
    lead = {view.lead_unit_code} if view.lead_unit_code else set()
    co = {names[name] for name in view.co_units if name in names}
    for share in view.members:
        (lead if share.role == "lead" else co).add(share.code)
    return lead, co


def escalation_levels(session: Session, measure_ids: Sequence[int]) -> dict[int, Level]:
    """The 督办 step each measure is at now: its latest escalation, unless its status moved since.

    One row per escalated measure (a window function picks each one's latest step; the comparison with its
    last status move is made in the statement), however many steps and moves the round has recorded.
    """
    if not measure_ids:
        return {}
    moved = (
        select(StatusEvent.measure_id, func.max(StatusEvent.at).label("at"))
        .where(StatusEvent.measure_id.in_(measure_ids), StatusEvent.kind == EventKind.STATUS)
        .group_by(StatusEvent.measure_id)
        .subquery()
    )
    latest = (
        select(
            StatusEvent.measure_id,
            StatusEvent.at,
            StatusEvent.to_value,
            func.row_number()
            .over(
                partition_by=StatusEvent.measure_id, order_by=(StatusEvent.at.desc(), StatusEvent.id.desc())
            )
            .label("rank"),
        )
        .where(
            StatusEvent.measure_id.in_(measure_ids),
            StatusEvent.kind == EventKind.ESCALATION,
            StatusEvent.to_value.in_([step.value for step in Level]),
        )
        .subquery()
    )
    rows = session.execute(
        select(latest.c.measure_id, latest.c.to_value)
        .outerjoin(moved, moved.c.measure_id == latest.c.measure_id)
        .where(latest.c.rank == 1, or_(moved.c.at.is_(None), latest.c.at >= moved.c.at))
    )
    return {measure_id: Level(level) for measure_id, level in rows}


def escalations_today(session: Session, clock: Clock, views: Sequence[MeasureView]) -> list[EscalationToday]:
    """The escalation steps recorded on the clock's local day for these measures, in the order recorded."""
    by_id = {view.id: view for view in views if view.id is not None}
    if not by_id:
        return []
    start, end = clock.start_of_day(clock.today), clock.end_of_day(clock.today)
    found = []
    for measure_id, at, level in session.execute(
        select(StatusEvent.measure_id, StatusEvent.at, StatusEvent.to_value)
        .where(
            StatusEvent.kind == EventKind.ESCALATION,
            StatusEvent.at >= start.astimezone(UTC),
            StatusEvent.at <= end.astimezone(UTC),
        )
        .order_by(StatusEvent.at, StatusEvent.id)
    ):
        view = by_id.get(measure_id)
        if view is None or level not in {step.value for step in Level}:
            continue
        found.append(EscalationToday(view.code, view.measure_text, Level(level), view.lead_unit or "", at))
    return found


def _tally(row: UnitRow, view: MeasureView, unit_code: str, *, lead: bool, today: date) -> None:
    """Count a measure in a unit's row: its own share's status, report and light for a collective's member."""
    if lead:
        row.lead += 1
    else:
        row.co += 1
    share = next((s for s in view.members if s.code == unit_code), None)
    status = share.status if share else view.status
    if is_finished(status):
        row.done += 1
    elif is_overdue(status, view.deadline, today):
        row.overdue += 1
    if share.report_missing if share else view.report_missing:
        row.missing += 1
    judged = share.assessment if share and share.assessment else view.assessment
    if judged is not None:
        row.lights[judged.light.value] += 1
    last = share.last_report_at if share else view.last_report_at
    if last is not None and (row.last_report is None or last > row.last_report):
        row.last_report = last


def overview_round(session: Session, round_code: str | None) -> tuple[str, list[str]]:
    """The round an overview shows (none named: the ledger's first, by code), and every round's code."""
    codes = round_codes(session)
    code = only_round(session, round_code) if round_code is not None or len(codes) < 2 else codes[0]
    return code, codes


def round_overview(
    session: Session,
    clock: Clock,
    round_code: str | None = None,
    *,
    unit: str | None = None,
    light: str | None = None,
    state: str | None = None,
    leader: str | None = None,
    q: str | None = None,
    views: Sequence[MeasureView] | None = None,
) -> Overview:
    """The overview of a round (none named: the ledger's first, by code) as of the clock's today.

    ``unit`` (a code) keeps the measures it leads or co-owns, ``light`` (green, yellow, red) those of that
    light, ``state`` (a key of ``STATES``) those counted there, ``leader`` (a contact code) those that
    leader is responsible for, ``q`` those whose code, text, problem or owners contain it; an unknown
    filter value keeps nothing. ``views``: the round's measures as of the clock's now, when the caller
    has them (the desk's memo), else read here.
    """
    code, codes = overview_round(session, round_code)
    today = clock.today
    views = list(views) if views is not None else measure_views(session, clock, round_code=code)
    units = list(session.execute(select(Unit.code, Unit.name, Unit.id)))
    names = {row.name: row.code for row in units}
    by_code: dict[str, UnitRow] = {}

    def row_of(unit_code: str) -> UnitRow:
        if unit_code not in by_code:
            name = next((r.name for r in units if r.code == unit_code), unit_code)
            by_code[unit_code] = UnitRow(unit_code, name)
        return by_code[unit_code]

    owners: dict[str, set[str]] = {}
    for view in views:
        lead, co = _owners(view, names)
        owners[view.code] = lead | co
        for unit_code in lead | co:
            _tally(row_of(unit_code), view, unit_code, lead=unit_code in lead, today=today)
        for share in view.members:
            collective = row_of(share.collective_code)
            if share.name not in collective.members:
                collective.members.append(share.name)
    levels = escalation_levels(session, [v.id for v in views if v.id is not None])
    for view in views:
        level = levels.get(view.id) if view.id is not None else None
        if level is None or view.lead_unit_code is None:
            continue
        row = row_of(view.lead_unit_code)
        current = next((step for step in LEVEL_ORDER if LEVEL_LABEL[step] == row.escalation), None)
        if current is None or LEVEL_ORDER.index(level) > LEVEL_ORDER.index(current):
            row.escalation = LEVEL_LABEL[level]
    escalated = escalations_today(session, clock, views)
    escalated_codes = {e.code for e in escalated}

    under = [counted_under(v, today, calendar=clock.calendar, escalated=escalated_codes) for v in views]
    tally = Counter(key for keys in under for key in keys)
    counts = {key: tally[key] for key in STATES}
    problems = len({v.problem_ordinal for v in views})
    statistics = NoticeStatistics(
        problems, counts["measures"], counts["done"], counts["in_progress"], counts["overdue"]
    )
    kept = [
        v
        for v, keys in zip(views, under, strict=True)
        if (unit is None or unit in owners[v.code])
        and (light is None or v.light.value == light)
        and (state is None or state in keys)
        and (leader is None or v.leader_code == leader)
        and (not q or _matches(v, q))
    ]
    given = (("unit", unit), ("light", light), ("state", state), ("leader", leader), ("q", q))
    filters = {k: v for k, v in given if v}
    leaders = sorted({(v.leader_code, v.leader or v.leader_code) for v in views if v.leader_code})
    kept_codes = {v.code for v in kept}
    ordered = sorted(by_code.values(), key=lambda r: (-r.overdue, -r.missing, -(r.lead + r.co), r.code))
    return Overview(
        round_code=code,
        rounds=tuple(codes),
        today=today,
        problems=problems,
        counts=counts,
        statistics=statistics,
        units=tuple(ordered),
        measures=tuple(kept),
        filters=filters,
        leaders=tuple((code, name or code) for code, name in leaders),
        views=tuple(views),
        escalations=tuple(e for e in escalated if e.code in kept_codes),
    )


def _matches(view: MeasureView, text: str) -> bool:
    """Whether a search text occurs in the measure's code, text, problem title or owners' names."""
    needle = text.strip().lower()
    haystack = " ".join(
        [view.code, view.measure_text, view.problem_title, view.lead_unit or "", *view.co_units]
        + [share.name for share in view.members]
    ).lower()
    return needle in haystack


@dataclass(frozen=True)
class Claim:
    """A done claim awaiting review: the measure, its latest done report and that report's evidence, and
    the review step it is at (its round's ``review_steps``)."""

    view: MeasureView
    report: dict[str, Any] | None
    stage: ClaimStage = field(default_factory=lambda: ClaimStage(()))


def review_queue(session: Session, clock: Clock, round_code: str | None = None) -> list[Claim]:
    """Every measure claimed done (awaiting a review step or 销号), oldest claim first, with the report that
    claims it and the step it is at."""
    views = [
        v for v in measure_views(session, clock, round_code=round_code) if v.status == MeasureStatus.DONE
    ]
    stages = claim_stages(session, [v.id for v in views if v.id is not None])
    claims = []
    for view in views:
        reports = [r for r in measure_reports(session, view.code) if r["superseded_by"] is None]
        done = [r for r in reports if r["claimed_status"] == MeasureStatus.DONE.value]
        chosen = done or reports
        stage = stages.get(view.id) if view.id is not None else None
        claims.append(Claim(view, chosen[-1] if chosen else None, stage or ClaimStage(())))
    return sorted(claims, key=lambda c: (c.view.last_report_at is None, c.view.last_report_at or clock.now))


def closed_measures(session: Session, clock: Clock, round_code: str | None = None) -> list[MeasureView]:
    """The round's closed (销号) measures, which a coordinator may reopen."""
    return [
        v for v in measure_views(session, clock, round_code=round_code) if v.status == MeasureStatus.CLOSED
    ]


@dataclass(frozen=True)
class ExtensionItem:
    """A pending 延期申请 as the desk lists it."""

    id: int
    measure: str
    measure_text: str
    unit: str
    original: date | None
    requested: date
    reason: str
    requested_at: datetime


def extension_queue(session: Session) -> list[ExtensionItem]:
    """The pending extension requests, oldest first."""
    units = {row.id: row.name for row in session.execute(select(Unit.id, Unit.name))}
    return [
        ExtensionItem(
            id=e.id,
            measure=e.measure.code,
            measure_text=e.measure.text,
            unit=units.get(e.unit_id, ""),
            original=e.original_deadline,
            requested=e.requested_deadline,
            reason=e.reason,
            requested_at=e.requested_at,
        )
        for e in pending_extensions(session)
    ]


def chart_rows(overview: Overview) -> Sequence[tuple[str, int, int]]:
    """Completion by problem: (problem ordinal and title, done, measures) per problem."""
    rows: dict[int, list[Any]] = {}
    for view in overview.measures:
        entry = rows.setdefault(view.problem_ordinal, [view.problem_title, 0, 0])
        entry[1] += int(is_finished(view.status))
        entry[2] += 1
    return [(title, done, total) for _, (title, done, total) in sorted(rows.items())]
