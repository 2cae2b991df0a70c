"""Who is told what, and when: message planning, idempotency keys, the escalation ladder, quiet hours.

Pure rules, no I/O: every function takes the measure's facts and ``now`` (or ``today``) as arguments.

Kinds of message (``MessageKind``) and their keys ``measure|kind|recipient|period-or-step``:

- ``reminder``: a reminder step before the deadline (``Settings.reminder_offsets`` working days before;
  offset 0 is ``due_today``). The period is ``<deadline>/-<offset>``: a changed deadline starts over.
  A missed step is caught up once (the latest step that has passed), never a burst of stale ones.
- ``due_today``: on the deadline's day (``models.deadlines.due_day``: for a deadline on a non-working day,
  the last working day before it).
- ``overdue``: every working day after the deadline, to the lead unit (period: that day).
- ``escalation``: the ladder, one message per step to the step's target (period: ``<deadline>/<level>``):
  lead unit (day 1 overdue), responsible leader 蓝色督办 (``escalate_leader_after`` working days),
  coordinator's office 黄色督办 (``escalate_coordinator_after``), the head 红色督办
  (``escalate_head_after``). Each step reached is also recorded as a ``StatusEvent`` (kind ``escalation``).
- ``missing_report``: the cadence period that closed has no report (period: the period's start).
- ``digest``: weekly, per unit, everything it leads or co-owns (period: ISO week).

Quiet hours. A message is due at the next allowed moment: a working day between ``quiet_start`` and
``quiet_end`` (default 08:30–18:00, local time). Planning at any other moment keeps the message, due at
the next allowed moment (``held``), and judges the measure as of that day, so a Saturday sweep and the
Monday sweep plan the same keys.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from models.deadlines import reminder_steps
from models.enums import MeasureStatus, MessageKind
from models.rules import is_finished, is_overdue
from models.workdays import WorkingCalendar, add_workdays, workdays_between


class Level(enum.StrEnum):
    """The escalation ladder's steps, in order."""

    UNIT = "unit"  # the lead unit is chased
    BLUE = "blue"  # 蓝色督办: the responsible leader
    YELLOW = "yellow"  # 黄色督办: the coordinator's office
    RED = "red"  # 红色督办: the bureau's head


LEVEL_LABEL = {
    Level.UNIT: "责任单位督促",
    Level.BLUE: "蓝色督办",
    Level.YELLOW: "黄色督办",
    Level.RED: "红色督办",
}
LEVEL_ORDER = (Level.UNIT, Level.BLUE, Level.YELLOW, Level.RED)


@dataclass(frozen=True)
class Policy:
    """The settings the rules read (``Policy.from_settings``)."""

    timezone: str = "Asia/Shanghai"
    reminder_offsets: tuple[int, ...] = (5, 3, 1, 0)
    quiet_start: time = time(8, 30)
    quiet_end: time = time(18, 0)
    escalate_leader_after: int = 3
    escalate_coordinator_after: int = 7
    escalate_head_after: int = 15

    @classmethod
    def from_settings(cls, settings: Any) -> Policy:
        return cls(
            timezone=settings.timezone,
            reminder_offsets=tuple(settings.reminder_offsets),
            quiet_start=settings.quiet_start,
            quiet_end=settings.quiet_end,
            escalate_leader_after=settings.escalate_leader_after,
            escalate_coordinator_after=settings.escalate_coordinator_after,
            escalate_head_after=settings.escalate_head_after,
        )

    def threshold(self, level: Level) -> int:
        """Working days overdue at which ``level`` is reached."""
        return {
            Level.UNIT: 1,
            Level.BLUE: self.escalate_leader_after,
            Level.YELLOW: self.escalate_coordinator_after,
            Level.RED: self.escalate_head_after,
        }[level]


@dataclass(frozen=True)
class Recipient:
    """A contact and the Apprise URLs (or ``env:``/``secret:`` references) that reach them."""

    contact_id: int | None
    code: str
    person: str
    role: str = ""
    urls: tuple[str, ...] = ()
    unit_id: int | None = None


@dataclass(frozen=True)
class MeasureFacts:
    """What the planner knows about one measure (built from the ledger by ``tasks.notify.outbox``)."""

    measure_id: int | None
    code: str
    text: str
    status: MeasureStatus
    deadline: date | None
    deadline_spec: str = ""
    marker: str = ""
    problem_ordinal: int = 0
    problem_title: str = ""
    round_code: str = ""
    lead_unit_id: int | None = None
    lead_unit_name: str | None = None
    co_unit_names: tuple[str, ...] = ()
    unit_contacts: tuple[Recipient, ...] = ()
    leader: Recipient | None = None
    coordinator: Recipient | None = None
    head: Recipient | None = None
    # Set by the caller from the cadence: the start of the closed period that has no report, if any.
    missing_period_start: datetime | None = None
    missing_period_end: datetime | None = None
    cadence: str | None = None


@dataclass(frozen=True)
class PlannedMessage:
    """One message to one URL of one recipient: rendered later from ``template`` and ``context``."""

    key: str
    kind: MessageKind
    template: str
    context: dict[str, Any]
    recipient: Recipient
    url_index: int
    due_at: datetime  # aware
    measure_id: int | None = None
    unit_id: int | None = None

    @property
    def url(self) -> str:
        return self.recipient.urls[self.url_index]

    @property
    def held(self) -> bool:
        return bool(self.context.get("_held"))


@dataclass(frozen=True)
class EscalationStep:
    """A step of the ladder the measure has reached (recorded once as a ``StatusEvent``)."""

    measure_id: int | None
    measure_code: str
    level: Level
    previous: Level | None
    overdue_workdays: int
    deadline: date
    target: str  # who is told: unit name, person, or "—" when nobody is configured

    @property
    def dedupe_key(self) -> str:
        return f"escalation|{self.measure_code}|{self.deadline.isoformat()}|{self.level.value}"


@dataclass
class MeasurePlan:
    """Everything one measure asks for at one moment."""

    messages: list[PlannedMessage] = field(default_factory=list)
    escalations: list[EscalationStep] = field(default_factory=list)


# -- time ---------------------------------------------------------------------------------------


def next_allowed(moment: datetime, calendar: WorkingCalendar, policy: Policy) -> datetime:
    """The first allowed sending moment at or after ``moment`` (aware, in the policy's zone)."""
    zone = ZoneInfo(policy.timezone)
    local = moment.astimezone(zone)
    day = local.date()
    if calendar.is_workday(day):
        if local.time() < policy.quiet_start:
            return datetime.combine(day, policy.quiet_start, tzinfo=zone)
        if local.time() < policy.quiet_end:
            return local
    day = add_workdays(calendar, day, 1)
    return datetime.combine(day, policy.quiet_start, tzinfo=zone)


def escalation_level(overdue_workdays: int, policy: Policy) -> Level | None:
    """The highest step reached after ``overdue_workdays`` working days overdue (None: not overdue)."""
    reached = None
    for level in LEVEL_ORDER:
        if overdue_workdays >= policy.threshold(level):
            reached = level
    return reached


# -- keys ---------------------------------------------------------------------------------------


def message_key(subject: str, kind: MessageKind, recipient: Recipient, url_index: int, period: str) -> str:
    """The idempotency key ``subject|kind|contact#url|period`` (≤ 300 characters)."""
    key = f"{subject}|{kind.value}|{recipient.code}#{url_index}|{period}"
    if len(key) > 300:
        raise ValueError(f"message key too long: {key[:80]}…")
    return key


# -- planning -----------------------------------------------------------------------------------


def _recipient_messages(
    recipients: tuple[Recipient, ...] | list[Recipient],
    *,
    subject: str,
    kind: MessageKind,
    period: str,
    template: str,
    context: dict[str, Any],
    due_at: datetime,
    measure_id: int | None,
    unit_id: int | None,
) -> list[PlannedMessage]:
    out = []
    for recipient in recipients:
        for index, _url in enumerate(recipient.urls):
            out.append(
                PlannedMessage(
                    key=message_key(subject, kind, recipient, index, period),
                    kind=kind,
                    template=template,
                    context={**context, "recipient": recipient.person, "recipient_role": recipient.role},
                    recipient=recipient,
                    url_index=index,
                    due_at=due_at,
                    measure_id=measure_id,
                    unit_id=unit_id if unit_id is not None else recipient.unit_id,
                )
            )
    return out


def measure_context(
    facts: MeasureFacts, day: date, calendar: WorkingCalendar, timezone: str
) -> dict[str, Any]:
    """What every measure template may show (moments are shown in ``timezone``)."""
    left = workdays_between(calendar, day, facts.deadline) if facts.deadline else None
    return {
        "code": facts.code,
        "round_code": facts.round_code,
        "measure_text": f"{facts.marker}{facts.text}",
        "problem_ordinal": facts.problem_ordinal,
        "problem_title": facts.problem_title,
        "lead_unit": facts.lead_unit_name or "【未指定】",
        "co_units": list(facts.co_unit_names),
        "leader": (facts.leader.role or facts.leader.person) if facts.leader else None,
        "deadline": facts.deadline,
        "deadline_spec": facts.deadline_spec,
        "workdays_left": left,
        "overdue_workdays": -left if left is not None and left < 0 else 0,
        "today": day,
        "timezone": timezone,
    }


def plan_measure(
    facts: MeasureFacts, now: datetime, calendar: WorkingCalendar, policy: Policy
) -> MeasurePlan:
    """The messages and escalation steps a measure asks for at ``now`` (aware).

    Keys make the plan safe to repeat: planning again the same day plans the same keys.
    """
    plan = MeasurePlan()
    if is_finished(facts.status):
        return plan
    due_at = next_allowed(now, calendar, policy)
    held = due_at > now
    day = due_at.astimezone(ZoneInfo(policy.timezone)).date()
    context = {**measure_context(facts, day, calendar, policy.timezone), "_held": held}
    common: dict[str, Any] = {
        "subject": facts.code,
        "due_at": due_at,
        "measure_id": facts.measure_id,
        "unit_id": facts.lead_unit_id,
    }

    if facts.deadline is not None:
        deadline = facts.deadline
        if not is_overdue(facts.status, deadline, day):
            for offset, step_day in reminder_steps(deadline, policy.reminder_offsets, calendar):
                if step_day > day:
                    continue
                kind = MessageKind.DUE_TODAY if offset == 0 else MessageKind.REMINDER
                plan.messages += _recipient_messages(
                    facts.unit_contacts,
                    kind=kind,
                    period=f"{deadline.isoformat()}/-{offset}",
                    template=kind.value,
                    context=context,
                    **common,
                )
                break
        else:
            overdue = workdays_between(calendar, deadline, day)
            level = escalation_level(overdue, policy)
            plan.messages += _recipient_messages(
                facts.unit_contacts,
                kind=MessageKind.OVERDUE,
                period=day.isoformat(),
                template="overdue",
                context={**context, "level": level, "level_label": LEVEL_LABEL[level] if level else ""},
                **common,
            )
            plan.escalations, escalation_messages = _escalate(
                facts, overdue, deadline, context, policy, common
            )
            plan.messages += escalation_messages

    if facts.missing_period_start is not None:
        start = facts.missing_period_start
        plan.messages += _recipient_messages(
            facts.unit_contacts,
            kind=MessageKind.MISSING_REPORT,
            period=start.strftime("%Y-%m-%dT%H:%M"),
            template="missing_report",
            context={
                **context,
                "period_start": start,
                "period_end": facts.missing_period_end,
                "cadence": facts.cadence,
            },
            **common,
        )
    return plan


def _escalate(
    facts: MeasureFacts,
    overdue: int,
    deadline: date,
    context: dict[str, Any],
    policy: Policy,
    common: dict[str, Any],
) -> tuple[list[EscalationStep], list[PlannedMessage]]:
    steps: list[EscalationStep] = []
    messages: list[PlannedMessage] = []
    previous: Level | None = None
    targets: dict[Level, tuple[Recipient, ...]] = {
        Level.UNIT: facts.unit_contacts,
        Level.BLUE: (facts.leader,) if facts.leader else (),
        Level.YELLOW: (facts.coordinator,) if facts.coordinator else (),
        Level.RED: (facts.head,) if facts.head else (),
    }
    for level in LEVEL_ORDER:
        if overdue < policy.threshold(level):
            break
        recipients = targets[level]
        target = (
            (facts.lead_unit_name or "—")
            if level == Level.UNIT
            else "、".join(r.role or r.person for r in recipients) or "—"
        )
        steps.append(EscalationStep(facts.measure_id, facts.code, level, previous, overdue, deadline, target))
        if level != Level.UNIT:  # the unit hears through its daily overdue message
            messages += _recipient_messages(
                recipients,
                kind=MessageKind.ESCALATION,
                period=f"{deadline.isoformat()}/{level.value}",
                template="escalation",
                context={
                    **context,
                    "level": level,
                    "level_label": LEVEL_LABEL[level],
                    "threshold": policy.threshold(level),
                },
                **common,
            )
        previous = level
    return steps, messages


@dataclass(frozen=True)
class DigestLine:
    """One measure in a unit's weekly digest."""

    code: str
    text: str
    role: str  # 牵头 or 配合
    deadline_spec: str
    state_label: str
    light: str
    workdays_left: int | None
    last_report_at: datetime | None


def plan_digest(
    unit_code: str,
    unit_id: int | None,
    unit_name: str,
    recipients: tuple[Recipient, ...],
    lines: list[DigestLine],
    now: datetime,
    calendar: WorkingCalendar,
    policy: Policy,
) -> list[PlannedMessage]:
    """The weekly digest of one unit (one key per contact URL and ISO week); nothing when it owns nothing."""
    if not lines:
        return []
    due_at = next_allowed(now, calendar, policy)
    day = due_at.astimezone(ZoneInfo(policy.timezone)).date()
    year, week, _ = day.isocalendar()
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.light] = counts.get(line.light, 0) + 1
    context = {
        "unit": unit_name,
        "today": day,
        "timezone": policy.timezone,
        "week": f"{year}年第{week}周",
        "lines": lines,
        "counts": counts,
        "_held": due_at > now,
    }
    return _recipient_messages(
        recipients,
        subject=f"unit:{unit_code}",
        kind=MessageKind.DIGEST,
        period=f"{year}-W{week:02d}",
        template="digest",
        context=context,
        due_at=due_at,
        measure_id=None,
        unit_id=unit_id,
    )


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
