"""Who is told what, and when: message planning, idempotency keys, the escalation ladder, quiet hours.

Pure rules, no I/O: every function takes the measure as read (``MeasureView``) and a ``Clock`` (the moment,
zone and working calendar) as arguments.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from models.clock import Clock
from models.deadlines import reminder_offsets_of, reminder_steps
from models.duban import problem_label
from models.enums import MessageKind
from models.measure_view import MeasureView
from models.periods import missed_periods
from models.rules import is_finished, is_overdue
from models.workdays import add_workdays, counted_provisionally, workdays_between


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


class Audience(enum.StrEnum):
    """Whom a message speaks to, as its text addresses them (``tasks/notify/templates/_whose.j2``)."""

    OWNER = "owner"  # the lead unit: 您单位牵头的…
    CO = "co"  # a co-unit: 您单位配合的…
    LEADER = "leader"  # the responsible leader: 您分管的…
    OFFICE = "office"  # the coordinator's office: a 抄送 line
    HEAD = "head"  # the bureau's head


# Who each step of the ladder is told as.
STEP_AUDIENCE = {Level.BLUE: Audience.LEADER, Level.YELLOW: Audience.OFFICE, Level.RED: Audience.HEAD}


@dataclass(frozen=True)
class Policy:
    """The notification settings the rules read (``Policy.from_settings``); time and place are the clock's."""

    reminder_offsets: tuple[int, ...] = (5, 3, 1, 0)
    quiet_start: time = time(8, 30)
    quiet_end: time = time(18, 0)
    escalate_leader_after: int = 3
    escalate_coordinator_after: int = 7
    escalate_head_after: int = 15
    duban_reply_workdays: int = 5  # a 督办单's reply deadline, working days after the step
    # The silence ladder: consecutive report periods missed before the leader (蓝), coordinator (黄) and
    # head (红) are told; the first missed period is the unit's own missing_report message.
    silence_leader_after: int = 2
    silence_coordinator_after: int = 3
    silence_head_after: int = 4
    notify_co_units: bool = False  # co-units' contacts also get the reminders, due-today and 逾期 messages
    ack_chase_after: int = 0  # working days a lead unit's 签收 may be pending before it is chased (0: never)
    digest_hour: time = time(9, 0)  # when a contact's daily digest is due (local time, working days)

    @classmethod
    def from_settings(cls, settings: Any) -> Policy:
        return cls(
            reminder_offsets=tuple(settings.reminder_offsets),
            quiet_start=settings.quiet_start,
            quiet_end=settings.quiet_end,
            escalate_leader_after=settings.escalate_leader_after,
            escalate_coordinator_after=settings.escalate_coordinator_after,
            escalate_head_after=settings.escalate_head_after,
            duban_reply_workdays=settings.duban_reply_workdays,
            silence_leader_after=settings.silence_leader_after,
            silence_coordinator_after=settings.silence_coordinator_after,
            silence_head_after=settings.silence_head_after,
            notify_co_units=settings.notify_co_units,
            ack_chase_after=settings.ack_chase_after,
            digest_hour=settings.digest_hour,
        )

    def threshold(self, level: Level) -> int:
        """Working days overdue at which ``level`` is reached."""
        return {
            Level.UNIT: 1,
            Level.BLUE: self.escalate_leader_after,
            Level.YELLOW: self.escalate_coordinator_after,
            Level.RED: self.escalate_head_after,
        }[level]

    def silence_threshold(self, level: Level) -> int:
        """Consecutive report periods missed at which ``level`` is reached."""
        return {
            Level.UNIT: 1,
            Level.BLUE: self.silence_leader_after,
            Level.YELLOW: self.silence_coordinator_after,
            Level.RED: self.silence_head_after,
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
    digest: bool = False  # reads a daily digest: its measure messages are carried by one


@dataclass(frozen=True)
class Recipients:
    """Who hears about a measure: its lead unit's contacts, its leader, the round's coordinator and head."""

    unit: tuple[Recipient, ...] = ()
    leader: Recipient | None = None
    coordinator: Recipient | None = None
    head: Recipient | None = None
    co_units: tuple[Recipient, ...] = ()  # the co-units' contacts (told when Policy.notify_co_units)
    office: str = ""  # the coordinator's office (the coordinator's unit): who signs a 督办单


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
    deadline: date | None
    target: str  # who is told: unit name, person, or "—" when nobody is configured
    member: str | None = None  # the member of a collective whose share this step is (its unit code)
    # What the step's 督办单 says (models.duban): the day judged, the measure, unit, leader, who signs, the reply.
    day: date | None = None
    unit: str = ""
    leader: str | None = None
    measure_text: str = ""
    problem: str = ""
    issuer: str = ""
    reply_by: date | None = None
    missed_periods: int | None = None  # a silence step: consecutive report periods missed
    round_code: str = ""
    silent_since: datetime | None = None  # a silence step: the start of the first period missed
    unsigned: str | None = None  # a 签收 step: the assignment's fingerprint (its first 12 characters)
    unsigned_workdays: int | None = None  # a 签收 step: working days the assignment is unsigned

    @property
    def anchor(self) -> str:
        """What the ladder climbs from: the deadline, ``silence-<start of the first period missed>`` or
        ``unsigned-<assignment>``."""
        if self.unsigned is not None:
            return f"unsigned-{self.unsigned}"
        if self.silent_since is not None:
            return f"silence-{self.silent_since:%Y-%m-%dT%H:%M}"
        return self.deadline.isoformat() if self.deadline else "—"

    @property
    def shortfall(self) -> str:
        """How far behind, as the step's event says it."""
        if self.unsigned_workdays is not None:
            return f"任务下达{self.unsigned_workdays}个工作日未签收"
        if self.missed_periods is not None:
            return f"连续{self.missed_periods}个报送周期未报送进展"
        deadline = self.deadline.isoformat() if self.deadline else "—"
        return f"逾期{self.overdue_workdays}个工作日（完成时限{deadline}）"

    @property
    def issues_sheet(self) -> bool:
        """Whether the step issues a 督办单 (蓝/黄/红; the unit's own step does not)."""
        return self.level != Level.UNIT

    @property
    def dedupe_key(self) -> str:
        subject = f"{self.measure_code}@{self.member}" if self.member else self.measure_code
        return f"escalation|{subject}|{self.anchor}|{self.level.value}"


def message_member(key: str) -> str | None:
    """The member of a collective a message key's subject names (``XH-08-1@jiedao-1|…``), or None."""
    return key.split("|", 1)[0].partition("@")[2] or None


def escalation_member(dedupe_key: str | None) -> str | None:
    """The member of a collective an escalation step's ``dedupe_key`` names (None: the measure's own)."""
    parts = (dedupe_key or "").split("|")
    return parts[1].partition("@")[2] or None if len(parts) > 1 else None


@dataclass
class MeasurePlan:
    """Everything one measure asks for at one moment."""

    messages: list[PlannedMessage] = field(default_factory=list)
    escalations: list[EscalationStep] = field(default_factory=list)


# -- time ---------------------------------------------------------------------------------------


def next_allowed(clock: Clock, policy: Policy) -> datetime:
    """The first allowed sending moment at or after the clock's now (aware, in the clock's zone)."""
    local = clock.local(clock.now)
    day = local.date()
    if clock.calendar.is_workday(day):
        if local.time() < policy.quiet_start:
            return datetime.combine(day, policy.quiet_start, tzinfo=clock.zone)
        if local.time() < policy.quiet_end:
            return local
    day = add_workdays(clock.calendar, day, 1)
    return datetime.combine(day, policy.quiet_start, tzinfo=clock.zone)


def allowed_from(clock: Clock, policy: Policy, moment: datetime) -> datetime:
    """The first allowed sending moment at or after ``moment``: a message queued behind its endpoint's
    rate limit whose turn falls in quiet hours waits for the morning (the next working day's start)."""
    return next_allowed(clock.at(moment), policy)


def held_until(wall: Clock, policy: Policy) -> datetime | None:
    """When sending at the wall clock's now falls in quiet hours, the next allowed moment; None when a
    message may go now. Sending is judged by the wall clock, never by the moment a sweep plans as of."""
    allowed = next_allowed(wall, policy)
    return None if allowed <= wall.local(wall.now) else allowed


def silence_level(missed: int, policy: Policy) -> Level | None:
    """The highest step of the silence ladder reached after ``missed`` consecutive report periods missed."""
    reached = None
    for level in LEVEL_ORDER:
        if missed >= policy.silence_threshold(level):
            reached = level
    return reached


def escalation_level(overdue_workdays: int, policy: Policy) -> Level | None:
    """The highest step reached after ``overdue_workdays`` working days overdue (None: not overdue)."""
    reached = None
    for level in LEVEL_ORDER:
        if overdue_workdays >= policy.threshold(level):
            reached = level
    return reached


# -- daily digests ------------------------------------------------------------------------------

# The messages a daily digest carries for a contact who chose it, by the digest's section.
DIGEST_SECTIONS: dict[MessageKind, str] = {
    MessageKind.REMINDER: "即将到期",
    MessageKind.DUE_TODAY: "即将到期",
    MessageKind.OVERDUE: "已逾期",
    MessageKind.MISSING_REPORT: "未报送进展",
    MessageKind.ESCALATION: "督办",
}
SECTION_ORDER = ("即将到期", "已逾期", "未报送进展", "督办")


def digested(message: PlannedMessage) -> bool:
    """Whether a planned message goes in its recipient's daily digest rather than alone."""
    return message.recipient.digest and message.kind in DIGEST_SECTIONS


def digest_due(clock: Clock, policy: Policy, day: date) -> datetime:
    """When ``day``'s digest is due: its ``digest_hour`` (out of quiet hours), or now when that is past."""
    at = datetime.combine(day, policy.digest_hour, tzinfo=clock.zone)
    return max(next_allowed(clock.at(at), policy), next_allowed(clock, policy))


def digest_hour_of_day(policy: Policy) -> time | None:
    """The local time a working day's daily digests fall due (``digest_due`` for a day ahead): ``digest_hour``,
    or the quiet hours' end before it; None when the hour is in the evening's quiet hours (the digests are the
    next morning's, when the first sweep of the day sends them)."""
    if policy.digest_hour >= policy.quiet_end:
        return None
    return max(policy.digest_hour, policy.quiet_start)


def digest_key(recipient: Recipient, url_index: int, day: date) -> str:
    """The daily digest's key: one per contact URL and working day."""
    return message_key(
        f"contact:{recipient.code}", MessageKind.DAILY_DIGEST, recipient, url_index, day.isoformat()
    )


# -- keys ---------------------------------------------------------------------------------------


def message_key(subject: str, kind: MessageKind, recipient: Recipient, url_index: int, period: str) -> str:
    """The idempotency key ``subject|kind|contact#url|period`` (≤ 300 characters)."""
    key = f"{subject}|{kind.value}|{recipient.code}#{url_index}|{period}"
    if len(key) > 300:
        raise ValueError(f"message key too long: {key[:80]}…")
    return key


# -- planning -----------------------------------------------------------------------------------


def recipient_messages(
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
    audience: Audience = Audience.OWNER,
) -> list[PlannedMessage]:
    """Each URL of each recipient its message, addressed as ``audience`` (its key names the contact's URL)."""
    out = []
    for recipient in recipients:
        for index, _url in enumerate(recipient.urls):
            out.append(
                PlannedMessage(
                    key=message_key(subject, kind, recipient, index, period),
                    kind=kind,
                    template=template,
                    context={
                        **context,
                        "recipient": recipient.person,
                        "recipient_role": recipient.role,
                        "audience": audience.value,
                    },
                    recipient=recipient,
                    url_index=index,
                    due_at=due_at,
                    measure_id=measure_id,
                    # A co-unit's message is its own unit's (its log line, its sign-in link), never the lead's.
                    unit_id=recipient.unit_id if audience == Audience.CO or unit_id is None else unit_id,
                )
            )
    return out


def measure_context(measure: MeasureView, clock: Clock) -> dict[str, Any]:
    """What every measure template may show, as of the clock's day (moments are shown in its zone)."""
    left = workdays_between(clock.calendar, clock.today, measure.deadline) if measure.deadline else None
    return {
        "code": measure.code,
        "round_code": measure.round_code,
        "measure_text": measure.measure_text,
        "problem_ordinal": measure.problem_ordinal,
        "problem_title": measure.problem_title,
        "lead_unit": measure.lead_unit or "【未指定】",
        "co_units": list(measure.co_units),
        "leader": measure.leader,
        "deadline": measure.deadline,
        "deadline_spec": measure.deadline_spec,
        # counted on the calendar's fallback (no official data for the year yet): the message says 暂定
        "provisional": measure.deadline is not None
        and counted_provisionally(clock.calendar, clock.today, measure.deadline),
        "workdays_left": left,
        "overdue_workdays": -left if left is not None and left < 0 else 0,
        "today": clock.today,
        "timezone": clock.timezone,
    }


def plan_measure(
    measure: MeasureView, recipients: Recipients, clock: Clock, policy: Policy, *, member: str | None = None
) -> MeasurePlan:
    """The messages and escalation steps a measure asks for at the clock's now.

    A message is due at the next allowed moment (held when that is later than now) and the measure is
    judged as of that day. Keys make the plan safe to repeat: planning again the same day plans the
    same keys. ``member``: the view is one member's share of a collective's measure (its unit code),
    keyed apart from the other members' (``XH-04-1@street-1``).
    """
    plan = MeasurePlan()
    if is_finished(measure.status):
        return plan
    due = clock.at(next_allowed(clock, policy))
    common: dict[str, Any] = {
        "subject": f"{measure.code}@{member}" if member else measure.code,
        "due_at": due.now,
        "measure_id": measure.id,
        "unit_id": measure.lead_unit_id,
        "context": {**measure_context(measure, due), "_held": due.now > clock.now},
    }
    if measure.deadline is not None:
        if is_overdue(measure.status, measure.deadline, due.today):
            _chase(plan, measure, recipients, due, policy, common, member)
        else:
            plan.messages += _deadline_reminder(measure, recipients, due, policy, common)
    if measure.missing_period is not None:
        start, end = measure.missing_period
        run = missed_periods(
            measure.cadence, since=measure.feedback_date, last_report_at=measure.last_report_at, clock=due
        )
        missed, since = run if run is not None else (1, start)
        if silence_level(missed, policy) in (None, Level.UNIT):
            plan.messages += recipient_messages(
                recipients.unit,
                kind=MessageKind.MISSING_REPORT,
                period=start.strftime("%Y-%m-%dT%H:%M"),
                template="missing_report",
                **{
                    **common,
                    "context": {
                        **common["context"],
                        "period_start": start,
                        "period_end": end,
                        "cadence": measure.cadence,
                    },
                },
            )
        else:  # the ladder replaces the repeats: one step per threshold, never a message per period
            _silence(plan, measure, recipients, due, policy, common, member, missed, since)
    return plan


def _deadline_reminder(
    measure: MeasureView, recipients: Recipients, due: Clock, policy: Policy, common: dict[str, Any]
) -> list[PlannedMessage]:
    """The latest reminder step that has come by the due day (a missed step is caught up once)."""
    assert measure.deadline is not None
    offsets = reminder_offsets_of(measure.reminder_offsets, policy.reminder_offsets)
    for offset, step_day in reminder_steps(measure.deadline, offsets, due.calendar):
        if step_day <= due.today:
            kind = MessageKind.DUE_TODAY if offset == 0 else MessageKind.REMINDER
            return [
                message
                for told, audience in _owners(recipients, policy)
                for message in recipient_messages(
                    told,
                    kind=kind,
                    period=f"{measure.deadline.isoformat()}/-{offset}",
                    template=kind.value,
                    audience=audience,
                    **common,
                )
            ]
    return []


def _owners(recipients: Recipients, policy: Policy) -> list[tuple[tuple[Recipient, ...], Audience]]:
    """Who is told of a deadline: the lead unit, and the co-units when ``notify_co_units``."""
    owners = [(recipients.unit, Audience.OWNER)]
    if policy.notify_co_units and recipients.co_units:
        owners.append((recipients.co_units, Audience.CO))
    return owners


def _chase(
    plan: MeasurePlan,
    measure: MeasureView,
    recipients: Recipients,
    due: Clock,
    policy: Policy,
    common: dict[str, Any],
    member: str | None = None,
) -> None:
    """An overdue measure: the unit's daily 逾期 message, and the ladder's steps reached so far."""
    assert measure.deadline is not None
    overdue = workdays_between(due.calendar, measure.deadline, due.today)
    level = escalation_level(overdue, policy)
    context = common["context"]
    targets = ladder_targets(recipients)
    previous: Level | None = None
    for step in LEVEL_ORDER:
        if overdue < policy.threshold(step):
            break
        told = targets[step]
        target = (
            (measure.lead_unit or "—")
            if step == Level.UNIT
            else "、".join(r.role or r.person for r in told) or "—"
        )
        escalation = EscalationStep(
            measure.id,
            measure.code,
            step,
            previous,
            overdue,
            measure.deadline,
            target,
            member,
            **sheet_facts(measure, recipients, due, policy),
        )
        plan.escalations.append(escalation)
        if step != Level.UNIT:  # the unit hears through its daily overdue message
            plan.messages += recipient_messages(
                told,
                kind=MessageKind.ESCALATION,
                period=f"{measure.deadline.isoformat()}/{step.value}",
                template="escalation",
                audience=STEP_AUDIENCE[step],
                **{
                    **common,
                    "context": {
                        **context,
                        "level": step,
                        "level_label": LEVEL_LABEL[step],
                        "threshold": policy.threshold(step),
                        "_step": escalation.dedupe_key,
                    },
                },
            )
        previous = step
    # The unit's daily 逾期 message names the sheet of the highest step reached (the sheet addresses it).
    sheets = [step for step in plan.escalations if step.issues_sheet]
    latest = {"_step": sheets[-1].dedupe_key} if sheets else {}
    for owners, audience in _owners(recipients, policy):
        plan.messages += recipient_messages(
            owners,
            kind=MessageKind.OVERDUE,
            period=due.today.isoformat(),
            template="overdue",
            audience=audience,
            **{
                **common,
                "context": {
                    **context,
                    **latest,
                    "level": level,
                    "level_label": LEVEL_LABEL[level] if level else "",
                },
            },
        )


def sheet_facts(measure: MeasureView, recipients: Recipients, due: Clock, policy: Policy) -> dict[str, Any]:
    """What a step's 督办单 says about the measure, as of the due day."""
    coordinator = recipients.coordinator
    return {
        "day": due.today,
        "unit": measure.lead_unit or "—",
        "leader": measure.leader_person or measure.leader,
        "measure_text": measure.measure_text,
        "problem": problem_label(measure.problem_ordinal, measure.problem_title),
        "issuer": recipients.office or (coordinator.person if coordinator else ""),
        "reply_by": add_workdays(due.calendar, due.today, policy.duban_reply_workdays),
        "round_code": measure.round_code,
    }


def _silence(
    plan: MeasurePlan,
    measure: MeasureView,
    recipients: Recipients,
    due: Clock,
    policy: Policy,
    common: dict[str, Any],
    member: str | None,
    missed: int,
    since: datetime,
) -> None:
    """A unit silent for ``missed`` periods in a row: the silence ladder's steps reached so far, each told
    to its target and to the unit (whom its 督办单 addresses), once per run of silence."""
    climb(
        plan,
        measure,
        recipients,
        due,
        policy,
        reached=missed,
        threshold=policy.silence_threshold,
        member=member,
        template="silence",
        step_facts={"missed_periods": missed, "silent_since": since},
        common={key: value for key, value in common.items() if key != "context"},
        context={
            **common["context"],
            "missed_periods": missed,
            "silent_since": since,
            "cadence": measure.cadence,
        },
    )


def ladder_targets(recipients: Recipients) -> dict[Level, tuple[Recipient, ...]]:
    """Whom each step of the ladder tells: the unit, its leader (蓝), the coordinator (黄), the head (红)."""
    return {
        Level.UNIT: recipients.unit,
        Level.BLUE: (recipients.leader,) if recipients.leader else (),
        Level.YELLOW: (recipients.coordinator,) if recipients.coordinator else (),
        Level.RED: (recipients.head,) if recipients.head else (),
    }


def climb(
    plan: MeasurePlan,
    measure: MeasureView,
    recipients: Recipients,
    due: Clock,
    policy: Policy,
    *,
    reached: int,
    threshold: Callable[[Level], int],
    member: str | None,
    template: str,
    step_facts: dict[str, Any],
    common: dict[str, Any],
    context: dict[str, Any],
) -> None:
    """The 蓝/黄/红 steps that ``reached`` (periods missed, working days unsigned) has passed, each recorded
    once and told to its target and to the unit, whom its 督办单 addresses (the silence and 签收 ladders)."""
    targets = ladder_targets(recipients)
    previous = Level.UNIT
    for level in (Level.BLUE, Level.YELLOW, Level.RED):
        if reached < threshold(level):
            break
        told = targets[level]
        step = EscalationStep(
            measure.id,
            measure.code,
            level,
            previous,
            0,
            measure.deadline,
            "、".join(r.role or r.person for r in told) or "—",
            member,
            **step_facts,
            **sheet_facts(measure, recipients, due, policy),
        )
        plan.escalations.append(step)
        step_context = {
            **context,
            "level": level,
            "level_label": LEVEL_LABEL[level],
            "threshold": threshold(level),
            "_step": step.dedupe_key,
        }
        for people, audience in ((told, STEP_AUDIENCE[level]), (recipients.unit, Audience.OWNER)):
            plan.messages += recipient_messages(
                people,
                kind=MessageKind.ESCALATION,
                period=f"{step.anchor}/{level.value}",
                template=template,
                context=step_context,
                audience=audience,
                **common,
            )
        previous = level


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
    clock: Clock,
    policy: Policy,
) -> list[PlannedMessage]:
    """The weekly digest of one unit (one key per contact URL and ISO week); nothing when it owns nothing."""
    if not lines:
        return []
    due_at = next_allowed(clock, policy)
    day = clock.local_day(due_at)
    year, week, _ = day.isocalendar()
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.light] = counts.get(line.light, 0) + 1
    context = {
        "unit": unit_name,
        "today": day,
        "timezone": clock.timezone,
        "week": f"{year}年第{week}周",
        "lines": lines,
        "counts": counts,
        "_held": due_at > clock.now,
    }
    return recipient_messages(
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
