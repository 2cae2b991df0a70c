"""The work of a ``check_measure`` run: observe one measure at its scheduled time and record what changed.

``observe_measure`` reads the measure as of its scheduled time (``tasks.ledger.queries.measure_view``: its
derived state, with the cadence rule "missing report for the period that closed") and appends a
``StatusEvent`` (kind ``state``) only when the state differs from the last one recorded. Its ``dedupe_key`` is
``state|CODE|<scheduled time UTC>``: two runs for the same scheduled time record one event, even when they
overlap (the unique key refuses the second insert).

Late runs. Prefect has no catch-up policy: after an outage every backlogged run executes. A run whose
scheduled time falls on an earlier local day than now is *stale*: it judges the measure as of now (the
current truth, not a past one) and hands no reminders over, so a backlog records at most the current
state and never sends a burst of yesterday's reminders. A run late on the same day still reminds (today's
business), and reminders are keyed per measure and local day, so two runs on one day plan one set.

Reminders. Which notices a run calls for (``MeasureCheck.due``): the deadline schedule (trigger
``deadline``) calls for ``reminder`` (due soon), ``due_today`` or ``overdue``; the cadence schedule
(trigger ``cadence``) calls for ``missing_report``; manual runs call for none. Planning and delivering
them belongs to the notification tasks the run hands over to (``flows.notify.hand_over``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.cadence import parse_cadence
from models.clock import Clock
from models.enums import EventKind
from models.errors import UnknownMeasure
from models.measure_view import MeasureView
from models.rules import (
    LIGHT_LABEL,
    STATE_LABEL,
    STATUS_LABEL,
    MeasureState,
    format_chinese_date,
    is_finished,
)
from models.tables import Measure, Problem, StatusEvent
from tasks.ledger.history import record_event_once
from tasks.ledger.queries import latest_reports, measure_view

ACTOR = "check_measure"

DEADLINE_NOTICES = {
    MeasureState.DUE_SOON: "reminder",
    MeasureState.DUE_TODAY: "due_today",
    MeasureState.OVERDUE: "overdue",
}


@dataclass(frozen=True)
class MeasureCheck:
    """What one ``check_measure`` run saw: the measure as of the run's moment, and the run's own facts."""

    measure: MeasureView
    previous_state: str | None
    scheduled_at: datetime  # aware, UTC
    as_of: datetime  # aware: the scheduled time, or now for a stale run
    local_day: date  # the local day the run counts for
    trigger: str  # cadence, deadline or manual
    stale: bool
    changed: bool  # this run recorded a state change
    flow_run_id: str | None
    due: tuple[str, ...]  # notices the run calls for: reminder, due_today, overdue, missing_report

    @property
    def code(self) -> str:
        return self.measure.code

    @property
    def state(self) -> MeasureState:
        return self.measure.state

    @property
    def event_name(self) -> str:
        return f"zhenggai.measure.{self.state.value}"

    def summary(self) -> dict[str, Any]:
        return {
            "measure": self.code,
            "state": self.state.value,
            "previous_state": self.previous_state,
            "light": self.measure.light.value,
            "changed": self.changed,
            "stale": self.stale,
            "due": list(self.due),
        }


def observe_measure(
    session: Session,
    code: str,
    *,
    scheduled_at: datetime,
    clock: Clock,
    trigger: str = "manual",
    flow_run_id: str | None = None,
) -> MeasureCheck:
    """Judge one measure as of its scheduled time (the clock's now for a stale run) and record a state
    event if the state changed since the last one recorded. The caller commits."""
    found = session.scalar(
        select(Measure)
        .where(Measure.code == code)
        .options(
            selectinload(Measure.lead_unit),
            selectinload(Measure.co_units),
            selectinload(Measure.leader),
            selectinload(Measure.problem).selectinload(Problem.round),
        )
    )
    if found is None or found.removed_at is not None:
        raise UnknownMeasure(f"no measure '{code}' in the ledger")
    stale = clock.local_day(scheduled_at) < clock.today
    moment = clock if stale else clock.at(scheduled_at)
    report = latest_reports(session, measure_ids=[found.id], as_of=moment.now).get(found.id)
    view = measure_view(found, report, moment)
    previous_state = session.scalar(
        select(StatusEvent.to_value)
        .where(StatusEvent.measure_id == found.id, StatusEvent.kind == EventKind.STATE)
        .order_by(StatusEvent.at.desc(), StatusEvent.id.desc())
        .limit(1)
    )
    changed = previous_state != view.state.value and record_event_once(
        session,
        {
            "measure_id": found.id,
            "round_id": found.problem.round_id,
            "at": clock.now,
            "actor": ACTOR,
            "kind": EventKind.STATE,
            "from_value": previous_state,
            "to_value": view.state.value,
            "reason": _reason(view, moment),
            "flow_run_id": flow_run_id,
            "dedupe_key": f"state|{code}|{scheduled_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
        },
    )
    return MeasureCheck(
        measure=view,
        previous_state=previous_state,
        scheduled_at=scheduled_at.astimezone(UTC),
        as_of=moment.now,
        local_day=moment.today,
        trigger=trigger,
        stale=stale,
        changed=changed,
        flow_run_id=flow_run_id,
        due=() if stale else _notices_due(view, trigger),
    )


def _notices_due(view: MeasureView, trigger: str) -> tuple[str, ...]:
    """What a timely run calls for: its deadline schedule's reminder, or its cadence's missing report."""
    if trigger == "deadline" and view.state in DEADLINE_NOTICES:
        return (DEADLINE_NOTICES[view.state],)
    if trigger == "cadence" and view.report_missing and not is_finished(view.status):
        return ("missing_report",)
    return ()


def _reason(view: MeasureView, moment: Clock) -> str:
    text = f"{format_chinese_date(moment.today)}检查：{STATE_LABEL[view.state]}"
    left = view.workdays_left
    if left is not None and left < 0:
        text += f"，逾期{-left}个工作日"
    elif left is not None and view.state != MeasureState.ON_TRACK:
        text += f"，剩余{left}个工作日"
    if view.report_missing:
        text += "，本期进展未报送"
    return text


def measure_markdown(check: MeasureCheck, clock: Clock) -> str:
    """The artifact of a run: the measure, its owner, deadline, last report and light (times in the clock's zone)."""
    view = check.measure
    deadline = view.deadline_spec
    if view.deadline is not None:
        deadline = f"{format_chinese_date(view.deadline)}（{view.deadline_spec}）"
    left = ""
    if view.workdays_left is not None:
        left = (
            f"逾期 {-view.workdays_left} 个工作日"
            if view.workdays_left < 0
            else f"剩余 {view.workdays_left} 个工作日"
        )
    last = "—"
    if view.last_report_at is not None:
        last = f"{clock.local(view.last_report_at):%Y-%m-%d %H:%M}：{view.last_report_text or ''}"
    light = LIGHT_LABEL[view.light]
    rows = [
        ("措施", f"{view.code} {view.measure_text}"),
        ("责任单位", view.lead_unit or "【未指定】"),
        ("完成时限", deadline + (f"，{left}" if left else "")),
        ("频次", parse_cadence(view.cadence).label if view.cadence else "—"),
        ("状态", f"{STATUS_LABEL[view.status]} · {STATE_LABEL[view.state]}"),
        ("灯", light),
        ("最新进展", last),
        (
            "检查时间",
            f"{clock.local(check.as_of):%Y-%m-%d %H:%M}" + ("（补跑，未发提醒）" if check.stale else ""),
        ),
    ]
    body = "\n".join(f"| {k} | {v.replace('|', '｜').replace(chr(10), ' ')} |" for k, v in rows)
    return f"# {view.code} · {STATE_LABEL[view.state]} · {light}\n\n| 项目 | 内容 |\n|---|---|\n{body}\n"


def event_payload(check: MeasureCheck) -> dict[str, Any]:
    """Resource, related resources and payload of the ``zhenggai.measure.<state>`` event."""
    view = check.measure
    resource = {
        "prefect.resource.id": f"zhenggai.measure.{view.code}",
        "prefect.resource.name": view.code,
        "zhenggai.light": view.light.value,
        "zhenggai.round": view.round_code,
    }
    related = [
        {
            "prefect.resource.id": f"zhenggai.round.{view.round_code}",
            "prefect.resource.role": "round",
            "prefect.resource.name": view.round_code,
        }
    ]
    if view.lead_unit_code:
        related.append(
            {
                "prefect.resource.id": f"zhenggai.unit.{view.lead_unit_code}",
                "prefect.resource.role": "owner",
                "prefect.resource.name": view.lead_unit or view.lead_unit_code,
            }
        )
    if view.leader_code:
        related.append(
            {
                "prefect.resource.id": f"zhenggai.contact.{view.leader_code}",
                "prefect.resource.role": "leader",
            }
        )
    payload = {
        "state": view.state.value,
        "previous_state": check.previous_state,
        "light": view.light.value,
        "workdays_left": view.workdays_left,
        "deadline": view.deadline.isoformat() if view.deadline else None,
        "as_of": check.as_of.isoformat(),
        "trigger": check.trigger,
    }
    return {"event": check.event_name, "resource": resource, "related": related, "payload": payload}
