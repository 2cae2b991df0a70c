"""What the units' portal shows: a unit's measures, most urgent first, and one measure's page.

Reads only; the pages render these. Every measure a unit sees here passed ``tasks.reports.access``
(its own, as lead or co-unit), so the pages hold no access rule of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.cadence import cadence_schedule
from models.clock import Clock
from models.enums import EventKind, MeasureStatus, ReportStatus
from models.errors import InvalidSchedule
from models.measure_view import MeasureView
from models.rules import LIGHT_LABEL, STATE_LABEL, MeasureState
from models.tables import Delivery, Measure, StatusEvent
from tasks.ledger.queries import live_measures, views_of
from tasks.reports.access import check_measure_access, measure_reports
from tasks.reports.assignments import acknowledged_ids, acknowledgements_of, extension_requests_of
from tasks.reports.duban import SheetStanding, sheets_of_measure
from tasks.reports.review import ACTION_LABEL, ReviewAction
from tasks.reports.tokens import Principal

# Most urgent first: overdue, due today, a period's report missing, due soon, on track, awaiting 销号, closed.
URGENCY = {
    MeasureState.OVERDUE: 0,
    MeasureState.DUE_TODAY: 1,
    MeasureState.MISSING_REPORT: 2,
    MeasureState.DUE_SOON: 3,
    MeasureState.ON_TRACK: 4,
    MeasureState.DONE: 5,
    MeasureState.CLOSED: 6,
}


@dataclass(frozen=True)
class HomeItem:
    """One of the unit's measures on 我的任务."""

    view: MeasureView
    role: str  # 牵头 or 配合
    acknowledged: bool
    returned: bool  # the last review sent a done claim back (退回)
    escalated: bool  # under 督办 (an escalation since the last status change)
    next_step: str

    @property
    def light_label(self) -> str:
        return LIGHT_LABEL[self.view.light]

    @property
    def state_label(self) -> str:
        return (
            "已退回"
            if self.returned and self.view.status == MeasureStatus.IN_PROGRESS
            else STATE_LABEL[self.view.state]
        )


def _flags(session: Session, ids: list[int]) -> tuple[set[int], set[int]]:
    """Which measures were last sent back (退回), and which are under 督办 since their last status move."""
    if not ids:
        return set(), set()
    last_review = (
        select(StatusEvent.measure_id, StatusEvent.to_value, StatusEvent.at)
        .where(StatusEvent.measure_id.in_(ids), StatusEvent.kind == EventKind.REVIEW)
        .order_by(StatusEvent.measure_id, StatusEvent.at, StatusEvent.id)
    )
    returned: dict[int, bool] = {}
    for measure_id, to_value, _at in session.execute(last_review):
        if measure_id is not None:
            returned[measure_id] = to_value == ReviewAction.RETURN.value
    last_move: dict[int | None, datetime] = {}
    for measure_id, at in session.execute(
        select(StatusEvent.measure_id, func.max(StatusEvent.at))
        .where(StatusEvent.measure_id.in_(ids), StatusEvent.kind == EventKind.STATUS)
        .group_by(StatusEvent.measure_id)
    ):
        last_move[measure_id] = at
    escalated: set[int] = set()
    for measure_id, at in session.execute(
        select(StatusEvent.measure_id, func.max(StatusEvent.at))
        .where(StatusEvent.measure_id.in_(ids), StatusEvent.kind == EventKind.ESCALATION)
        .group_by(StatusEvent.measure_id)
    ):
        moved = last_move.get(measure_id)
        if measure_id is not None and (moved is None or at >= moved):
            escalated.add(measure_id)
    return {m for m, r in returned.items() if r}, escalated


def next_step(
    view: MeasureView, *, acknowledged: bool, returned: bool, pending_extension: bool = False
) -> str:
    """The one next thing the unit should do on a measure."""
    if view.status == MeasureStatus.CLOSED:
        return "已销号，无需操作"
    if not acknowledged:
        return "请先签收任务"
    if view.status == MeasureStatus.DONE:
        return "已报完成，等待牵头部门审核销号"
    if returned:
        return "完成情况被退回，请补充整改后重新报送"
    state, left = view.state, view.workdays_left
    if state == MeasureState.OVERDUE:
        if pending_extension:
            return f"已逾期{-left if left else 0}个工作日，延期申请待审批，请报送进展"
        return f"已逾期{-left if left else 0}个工作日，请尽快报送进展或申请延期"
    if state == MeasureState.DUE_TODAY:
        return "今日到期，请报送完成情况"
    if state == MeasureState.MISSING_REPORT:
        return "本期进展未报送，请报送进展"
    if state == MeasureState.DUE_SOON:
        return f"还剩{left}个工作日，请抓紧推进并报送进展"
    return "按期推进，按时报送进展"


def unit_home(
    session: Session, principal: Principal, clock: Clock, *, measure_code: str | None = None
) -> list[HomeItem]:
    """The unit's measures in every round (as lead and co-unit), most urgent first; unsigned ones first
    (only ``measure_code`` when given)."""
    if principal.unit_code is None or principal.unit_id is None:
        return []
    measures = live_measures(
        session, unit_code=principal.unit_code, with_co_units=True, measure_code=measure_code
    )
    views = views_of(session, measures, clock)
    signed = acknowledged_ids(session, principal.unit_id, measures)
    returned, escalated = _flags(session, [m.id for m in measures])
    items = []
    for measure, view in zip(measures, views, strict=True):
        acknowledged = measure.id in signed
        back = measure.id in returned and measure.status == MeasureStatus.IN_PROGRESS
        items.append(
            HomeItem(
                view=view,
                role="牵头" if measure.lead_unit_id == principal.unit_id else "配合",
                acknowledged=acknowledged,
                returned=back,
                escalated=measure.id in escalated,
                next_step=next_step(view, acknowledged=acknowledged, returned=back),
            )
        )
    return sorted(items, key=_urgency)


def _urgency(item: HomeItem) -> tuple[int, int, int, int, int, str]:
    view = item.view
    left = view.workdays_left if view.workdays_left is not None else 10**6
    return (
        0 if not item.acknowledged and view.status != MeasureStatus.CLOSED else 1,
        URGENCY[view.state],
        0 if item.returned else 1,
        0 if item.escalated else 1,
        left,
        view.code,
    )


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened on a measure, as the measure page lists it (newest first)."""

    at: datetime
    kind: str  # report, review, reminder, escalation, status, acknowledgement, extension
    title: str
    text: str = ""
    report: dict[str, Any] | None = None
    correctable: bool = False


@dataclass(frozen=True)
class PendingExtension:
    """The unit's extension request awaiting a decision."""

    original_deadline: date | None
    requested_deadline: date


@dataclass(frozen=True)
class MeasurePage:
    """Everything the measure page shows."""

    item: HomeItem
    leader: str | None
    lead_unit: str | None
    co_units: tuple[str, ...]
    next_report_due: datetime | None
    pending_extension: PendingExtension | None
    timeline: list[TimelineEntry] = field(default_factory=list)
    sheets: list[SheetStanding] = field(default_factory=list)  # the 督办单 issued on it


def next_report_due(view: MeasureView, clock: Clock) -> datetime | None:
    """When the measure's cadence next asks for a report (local, aware); None without a cadence."""
    if not view.cadence or view.feedback_date is None or view.status == MeasureStatus.CLOSED:
        return None
    try:
        spec = cadence_schedule(view.cadence, clock.calendar, view.feedback_date)
    except InvalidSchedule:
        return None
    runs = spec.next(clock.local(clock.now).replace(tzinfo=None), 1)
    return runs[0].replace(tzinfo=clock.zone) if runs else None


REVIEW_TITLES = {a.value: f"牵头部门{ACTION_LABEL[a]}" for a in ReviewAction}
REMINDER_TITLES = {
    "reminder": "到期提醒",
    "due_today": "今日到期提醒",
    "overdue": "逾期催办",
    "missing_report": "报送催办",
    "escalation": "督办通知",
    "ack_reminder": "签收提醒",
}


def measure_page(session: Session, principal: Principal, code: str, clock: Clock) -> MeasurePage:
    """One measure as its unit sees it (``Forbidden`` unless it is the unit's own)."""
    check_measure_access(session, principal, code)
    [item] = unit_home(session, principal, clock, measure_code=code)
    measure = session.scalar(
        select(Measure)
        .where(Measure.code == code, Measure.removed_at.is_(None))
        .options(
            selectinload(Measure.co_units), selectinload(Measure.lead_unit), selectinload(Measure.leader)
        )
    )
    assert measure is not None
    timeline: list[TimelineEntry] = []
    reports = measure_reports(session, code)
    for report in reports:
        claimed = "报告已完成" if report["claimed_status"] == ReportStatus.DONE.value else "报送进展"
        if report["supersedes"]:
            claimed = f"更正第{report['supersedes']}号报告"
        timeline.append(
            TimelineEntry(
                at=datetime.fromisoformat(report["submitted_at"]),
                kind="report",
                title=f"第{report['id']}号 {claimed}",
                text=report["text"],
                report=report,
                correctable=report["unit"] == principal.unit_code and report["superseded_by"] is None,
            )
        )
    for event in session.scalars(
        select(StatusEvent)
        .where(
            StatusEvent.measure_id == measure.id,
            StatusEvent.kind.in_([EventKind.REVIEW, EventKind.ESCALATION]),
        )
        .order_by(StatusEvent.at)
    ):
        if event.kind == EventKind.ESCALATION:
            timeline.append(TimelineEntry(event.at, "escalation", "督办", event.reason))
        else:
            title = REVIEW_TITLES.get(event.to_value or "", "延期审批")
            timeline.append(TimelineEntry(event.at, "review", title, event.reason))
    for delivery in session.scalars(
        select(Delivery)
        .where(
            Delivery.measure_id == measure.id,
            Delivery.unit_id == principal.unit_id,
            Delivery.sent_at.is_not(None),
        )
        .order_by(Delivery.sent_at)
    ):
        assert delivery.sent_at is not None
        title = REMINDER_TITLES.get(delivery.kind, "通知")
        timeline.append(TimelineEntry(delivery.sent_at, "reminder", title, delivery.title))
    for ack in acknowledgements_of(session, measure.id):
        if ack.unit_id == principal.unit_id:
            timeline.append(TimelineEntry(ack.acknowledged_at, "acknowledgement", "已签收任务"))
    pending = None
    for request in extension_requests_of(session, measure.id):
        if request.unit_id != principal.unit_id:
            continue
        label = {"pending": "待审批", "approved": "已批准", "refused": "未批准"}[request.status]
        timeline.append(
            TimelineEntry(
                request.requested_at,
                "extension",
                f"延期申请（{label}）：原时限{request.original_deadline} → 申请延至{request.requested_deadline}",
                request.reason,
            )
        )
        if request.status == "pending":
            pending = PendingExtension(request.original_deadline, request.requested_deadline)
    timeline.sort(key=lambda e: e.at, reverse=True)
    if pending is not None:
        item = HomeItem(
            item.view,
            item.role,
            item.acknowledged,
            item.returned,
            item.escalated,
            next_step(
                item.view, acknowledged=item.acknowledged, returned=item.returned, pending_extension=True
            ),
        )
    leader = measure.leader
    return MeasurePage(
        item=item,
        leader=(leader.role or leader.person) if leader else None,
        lead_unit=measure.lead_unit.name if measure.lead_unit else None,
        co_units=tuple(u.name for u in measure.co_units),
        next_report_due=next_report_due(item.view, clock),
        pending_extension=pending,
        timeline=timeline,
        sheets=sheets_of_measure(session, measure.id),
    )
