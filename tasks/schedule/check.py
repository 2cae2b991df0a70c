"""The work of a ``check_measure`` run: observe one measure at its scheduled time and record what changed.

``observe_measure`` derives the state with ``models.rules.derive_state`` (plus the cadence rule "missing
report for the period that closed", ``models.cadence.report_missing``) and appends a ``StatusEvent``
(kind ``state``) only when the state differs from the last one recorded. Its ``dedupe_key`` is
``state|CODE|<scheduled time UTC>``: two runs for the same scheduled time record one event, even when they
overlap (the unique key refuses the second insert).

Late runs. Prefect has no catch-up policy: after an outage every backlogged run executes. A run whose
scheduled time falls on an earlier local day than now is *stale*: it judges the measure as of now (the
current truth, not a past one) and hands no reminders over, so a backlog records at most the current
state and never sends a burst of yesterday's reminders. A run late on the same day still reminds (today's
business), and reminders are keyed per measure and local day, so two runs on one day plan one set.

Reminders. Which notices a run calls for (``MeasureCheck.due``): the deadline schedule (trigger
``deadline``) calls for ``reminder`` (due soon), ``due_today`` or ``overdue``; the cadence schedule
(trigger ``cadence``) calls for ``missing_report``; manual runs call for none. Delivery belongs to the
notification tasks (issue 4); until they exist, ``record_planned_reminders`` records each one as a
``StatusEvent`` of kind ``reminder planned``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from models.cadence import parse_cadence
from models.enums import EventKind
from models.errors import UnknownMeasure
from models.periods import report_missing
from models.rules import (
    LIGHT_LABEL,
    STATE_LABEL,
    STATUS_LABEL,
    MeasureState,
    derive_state,
    format_chinese_date,
)
from models.tables import Measure, Problem, StatusEvent
from models.workdays import WorkingCalendar
from tasks.ledger.queries import latest_reports

ACTOR = "check_measure"
PLANNED_KIND = "reminder planned"

DEADLINE_NOTICES = {
    MeasureState.DUE_SOON: "reminder",
    MeasureState.DUE_TODAY: "due_today",
    MeasureState.OVERDUE: "overdue",
}


@dataclass(frozen=True)
class MeasureCheck:
    """What one ``check_measure`` run saw; handed to the notification tasks as is."""

    measure_id: int
    code: str
    text: str
    round_id: int
    round_code: str
    owner_unit_code: str | None
    owner_unit_name: str | None
    leader_code: str | None
    deadline: date | None
    deadline_spec: str
    cadence: str | None
    status: str
    state: MeasureState
    previous_state: str | None
    light: str
    workdays_left: int | None
    report_missing: bool
    last_report_at: datetime | None
    last_report_text: str | None
    scheduled_at: datetime  # aware, UTC
    as_of: datetime  # aware: the scheduled time, or now for a stale run
    local_day: date  # the local day the run counts for
    trigger: str  # cadence, deadline or manual
    stale: bool
    changed: bool  # this run recorded a state change
    flow_run_id: str | None
    due: tuple[str, ...]  # notices the run calls for: reminder, due_today, overdue, missing_report

    @property
    def event_name(self) -> str:
        return f"zhenggai.measure.{self.state.value}"

    def summary(self) -> dict[str, Any]:
        return {
            "measure": self.code,
            "state": self.state.value,
            "previous_state": self.previous_state,
            "light": self.light,
            "changed": self.changed,
            "stale": self.stale,
            "due": list(self.due),
        }


def observe_measure(
    session: Session,
    code: str,
    *,
    scheduled_at: datetime,
    now: datetime,
    calendar: WorkingCalendar,
    timezone: str,
    due_soon_workdays: int = 5,
    trigger: str = "manual",
    flow_run_id: str | None = None,
) -> MeasureCheck:
    """Judge one measure as of its scheduled time; record a state event if the state changed. Commits."""
    zone = ZoneInfo(timezone)
    measure = session.scalar(
        select(Measure)
        .where(Measure.code == code)
        .options(
            selectinload(Measure.lead_unit),
            selectinload(Measure.leader),
            selectinload(Measure.problem).selectinload(Problem.round),
        )
    )
    if measure is None or measure.removed_at is not None:
        raise UnknownMeasure(f"no measure '{code}' in the ledger")
    stale = scheduled_at.astimezone(zone).date() < now.astimezone(zone).date()
    as_of = now if stale else scheduled_at
    local_day = as_of.astimezone(zone).date()
    report = latest_reports(session, measure_ids=[measure.id], as_of=as_of).get(measure.id)
    missing = report_missing(
        measure.cadence,
        since=measure.problem.round.feedback_date,
        last_report_at=report.submitted_at if report else None,
        as_of=as_of,
        calendar=calendar,
        timezone=timezone,
    )
    assessment = derive_state(
        measure, local_day, calendar, due_soon_workdays=due_soon_workdays, report_missing=missing
    )
    previous = session.scalar(
        select(StatusEvent)
        .where(StatusEvent.measure_id == measure.id, StatusEvent.kind == EventKind.STATE)
        .order_by(StatusEvent.at.desc(), StatusEvent.id.desc())
        .limit(1)
    )
    previous_state = previous.to_value if previous else None
    changed = False
    if previous_state != assessment.state.value:
        changed = _record_once(
            session,
            StatusEvent(
                measure_id=measure.id,
                round_id=measure.problem.round_id,
                at=now,
                actor=ACTOR,
                kind=EventKind.STATE,
                from_value=previous_state,
                to_value=assessment.state.value,
                reason=_reason(assessment.state, assessment.workdays_left, missing, as_of, zone),
                flow_run_id=flow_run_id,
                dedupe_key=f"state|{code}|{scheduled_at.astimezone(ZoneInfo('UTC')):%Y-%m-%dT%H:%M:%SZ}",
            ),
        )
    due: tuple[str, ...] = ()
    if not stale:
        if trigger == "deadline" and assessment.state in DEADLINE_NOTICES:
            due = (DEADLINE_NOTICES[assessment.state],)
        elif (
            trigger == "cadence"
            and missing
            and assessment.state not in (MeasureState.DONE, MeasureState.CLOSED)
        ):
            due = ("missing_report",)
    return MeasureCheck(
        measure_id=measure.id,
        code=measure.code,
        text=f"{measure.marker}{measure.text}",
        round_id=measure.problem.round_id,
        round_code=measure.problem.round.code,
        owner_unit_code=measure.lead_unit.code if measure.lead_unit else None,
        owner_unit_name=measure.lead_unit.name if measure.lead_unit else None,
        leader_code=measure.leader.code if measure.leader else None,
        deadline=measure.deadline,
        deadline_spec=measure.deadline_spec,
        cadence=measure.cadence,
        status=measure.status.value,
        state=assessment.state,
        previous_state=previous_state,
        light=assessment.light.value,
        workdays_left=assessment.workdays_left,
        report_missing=missing,
        last_report_at=report.submitted_at if report else None,
        last_report_text=report.text if report else None,
        scheduled_at=scheduled_at.astimezone(ZoneInfo("UTC")),
        as_of=as_of,
        local_day=local_day,
        trigger=trigger,
        stale=stale,
        changed=changed,
        flow_run_id=flow_run_id,
        due=due,
    )


def _record_once(session: Session, event: StatusEvent) -> bool:
    """Insert and commit; False when an event with the same dedupe key already exists."""
    session.add(event)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def _reason(state: MeasureState, left: int | None, missing: bool, as_of: datetime, zone: ZoneInfo) -> str:
    day = format_chinese_date(as_of.astimezone(zone).date())
    text = f"{day}检查：{STATE_LABEL[state]}"
    if left is not None and left < 0:
        text += f"，逾期{-left}个工作日"
    elif left is not None and state != MeasureState.ON_TRACK:
        text += f"，剩余{left}个工作日"
    if missing:
        text += "，本期进展未报送"
    return text


def record_planned_reminders(session: Session, check: MeasureCheck, *, now: datetime) -> list[str]:
    """Record what would be sent (until the notification tasks take over): one event per notice and day."""
    recorded = []
    for kind in check.due:
        made = _record_once(
            session,
            StatusEvent(
                measure_id=check.measure_id,
                round_id=check.round_id,
                at=now,
                actor=ACTOR,
                kind=PLANNED_KIND,
                from_value=None,
                to_value=kind,
                reason=f"{kind} → {check.owner_unit_name or '【未指定】'}（{check.trigger}）",
                flow_run_id=check.flow_run_id,
                dedupe_key=f"reminder|{check.code}|{kind}|{check.local_day.isoformat()}",
            ),
        )
        if made:
            recorded.append(kind)
    return recorded


def measure_markdown(check: MeasureCheck, timezone: str) -> str:
    """The artifact of a run: the measure, its owner, deadline, last report and light."""
    zone = ZoneInfo(timezone)
    deadline = check.deadline_spec
    if check.deadline is not None:
        deadline = f"{format_chinese_date(check.deadline)}（{check.deadline_spec}）"
    left = ""
    if check.workdays_left is not None:
        left = (
            f"逾期 {-check.workdays_left} 个工作日"
            if check.workdays_left < 0
            else f"剩余 {check.workdays_left} 个工作日"
        )
    last = "—"
    if check.last_report_at is not None:
        last = f"{check.last_report_at.astimezone(zone):%Y-%m-%d %H:%M}：{check.last_report_text or ''}"
    from models.rules import Light

    light = LIGHT_LABEL[Light(check.light)]
    cadence = parse_cadence(check.cadence).label if check.cadence else "—"
    from models.enums import MeasureStatus

    rows = [
        ("措施", f"{check.code} {check.text}"),
        ("责任单位", check.owner_unit_name or "【未指定】"),
        ("完成时限", deadline + (f"，{left}" if left else "")),
        ("频次", cadence),
        ("状态", f"{STATUS_LABEL[MeasureStatus(check.status)]} · {STATE_LABEL[check.state]}"),
        ("灯", light),
        ("最新进展", last),
        (
            "检查时间",
            f"{check.as_of.astimezone(zone):%Y-%m-%d %H:%M}" + ("（补跑，未发提醒）" if check.stale else ""),
        ),
    ]
    body = "\n".join(f"| {k} | {v.replace('|', '｜').replace(chr(10), ' ')} |" for k, v in rows)
    return f"# {check.code} · {STATE_LABEL[check.state]} · {light}\n\n| 项目 | 内容 |\n|---|---|\n{body}\n"


def event_payload(check: MeasureCheck) -> dict[str, Any]:
    """Resource, related resources and payload of the ``zhenggai.measure.<state>`` event."""
    resource = {
        "prefect.resource.id": f"zhenggai.measure.{check.code}",
        "prefect.resource.name": check.code,
        "zhenggai.light": check.light,
        "zhenggai.round": check.round_code,
    }
    related = [
        {
            "prefect.resource.id": f"zhenggai.round.{check.round_code}",
            "prefect.resource.role": "round",
            "prefect.resource.name": check.round_code,
        }
    ]
    if check.owner_unit_code:
        related.append(
            {
                "prefect.resource.id": f"zhenggai.unit.{check.owner_unit_code}",
                "prefect.resource.role": "owner",
                "prefect.resource.name": check.owner_unit_name or check.owner_unit_code,
            }
        )
    if check.leader_code:
        related.append(
            {
                "prefect.resource.id": f"zhenggai.contact.{check.leader_code}",
                "prefect.resource.role": "leader",
            }
        )
    payload = {
        "state": check.state.value,
        "previous_state": check.previous_state,
        "light": check.light,
        "workdays_left": check.workdays_left,
        "deadline": check.deadline.isoformat() if check.deadline else None,
        "as_of": check.as_of.isoformat(),
        "trigger": check.trigger,
    }
    return {"event": check.event_name, "resource": resource, "related": related, "payload": payload}
