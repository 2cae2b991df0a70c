"""The ladder's follow-ups, after its own steps: a 督办单 unanswered past its reply deadline moves the ladder
on (``plan_unanswered``), and a 签收 pending past ``Policy.ack_chase_after`` working days is chased
(``plan_unsigned``). Pure rules on the measure as read (``MeasureView``) and a ``Clock``, like
``models.notifications``, whose messages, steps and keys they plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from models.assignments import unsigned_lateness
from models.clock import Clock
from models.duban import moves_on
from models.enums import MessageKind
from models.measure_view import MeasureView
from models.notifications import (
    LEVEL_LABEL,
    STEP_AUDIENCE,
    Audience,
    EscalationStep,
    Level,
    MeasurePlan,
    Policy,
    Recipients,
    climb,
    measure_context,
    next_allowed,
    recipient_messages,
    sheet_facts,
)
from models.rules import is_finished
from models.workdays import workdays_between


@dataclass(frozen=True)
class UnansweredSheet:
    """A 督办单 its unit has not replied to, as the ladder reads it (``models.duban.moves_on``)."""

    number: str
    level: str  # blue, yellow, red
    reply_by: date
    deadline: date | None  # the overdue ladder's anchor (None: a silence sheet)
    silent_since: datetime | None  # the silence ladder's anchor: the start of the first period missed
    missed_periods: int | None
    unsigned: str | None = None  # the 签收 ladder's anchor: the assignment's fingerprint
    unsigned_workdays: int | None = None


def plan_unanswered(
    measure: MeasureView,
    recipients: Recipients,
    clock: Clock,
    policy: Policy,
    sheet: UnansweredSheet,
    *,
    member: str | None = None,
) -> MeasurePlan:
    """A sheet unanswered past its reply deadline moves the ladder on: the next step, on the sheet's own
    ladder (its anchor, so the ladder reaching that step later records nothing twice), told to its target
    and to the unit; nothing once the unit replied, the measure is finished, or the sheet is red."""
    plan = MeasurePlan()
    due = clock.at(next_allowed(clock, policy))
    reached = moves_on(
        sheet.level, sheet.reply_by, answered=False, finished=is_finished(measure.status), today=due.today
    )
    if reached is None:
        return plan
    level = Level(reached)
    told = {
        Level.BLUE: (recipients.leader,) if recipients.leader else (),
        Level.YELLOW: (recipients.coordinator,) if recipients.coordinator else (),
        Level.RED: (recipients.head,) if recipients.head else (),
    }[level]
    overdue = workdays_between(due.calendar, sheet.deadline, due.today) if sheet.deadline else 0
    if sheet.silent_since is not None or sheet.unsigned is not None:
        overdue = 0
    step = EscalationStep(
        measure.id,
        measure.code,
        level,
        Level(sheet.level),
        overdue,
        sheet.deadline,
        "、".join(r.role or r.person for r in told) or "—",
        member,
        missed_periods=sheet.missed_periods,
        silent_since=sheet.silent_since,
        unsigned=sheet.unsigned,
        unsigned_workdays=sheet.unsigned_workdays,
        **sheet_facts(measure, recipients, due, policy),
    )
    plan.escalations.append(step)
    context = {
        **measure_context(measure, due),
        "_held": due.now > clock.now,
        "level": level,
        "level_label": LEVEL_LABEL[level],
        "previous_number": sheet.number,
        "reply_by": sheet.reply_by,
        "_step": step.dedupe_key,
    }
    for people, audience in ((told, STEP_AUDIENCE[level]), (recipients.unit, Audience.OWNER)):
        plan.messages += recipient_messages(
            people,
            subject=f"{measure.code}@{member}" if member else measure.code,
            kind=MessageKind.ESCALATION,
            period=f"{step.anchor}/{level.value}",
            template="duban_unanswered",
            context=context,
            due_at=due.now,
            measure_id=measure.id,
            unit_id=measure.lead_unit_id,
            audience=audience,
        )
    return plan


@dataclass(frozen=True)
class Signer:
    """Who owes a 签收 on a measure (the portal lets every owner sign): the lead unit, a member of a collective
    owner, or a co-unit. ``Signer()`` is the lead unit."""

    unit_id: int | None = None  # the signing unit (None: the measure's lead unit)
    member: str | None = None  # a member of a collective owner (its unit code): keyed apart, XH-04-1@street-1
    co: bool = False  # a co-owner (a co-unit, or a member of a collective co-unit): reminded, never escalated


def plan_unsigned(
    measure: MeasureView,
    recipients: Recipients,
    clock: Clock,
    policy: Policy,
    *,
    assignment: str,
    since: date,
    signer: Signer = Signer(),
) -> MeasurePlan:
    """A 签收 pending since ``since``: after ``policy.ack_chase_after`` working days one reminder to the signer
    (``recipients.unit``: its contacts), once per assignment (``unsigned-<fingerprint>``).

    A lead signer (the lead unit, or a member of a collective lead: ``measure`` is then its share) then climbs
    the ladder's steps as for days overdue (counted from the reminder), each told to its target and the
    signer and issuing its 督办单. A co-owner is reminded only: a 督办单 addresses the lead unit or a lead
    member, and a co-unit neither signs for one nor replies (``tasks.reports.duban.is_addressee``)."""
    plan = MeasurePlan()
    if is_finished(measure.status):
        return plan
    due = clock.at(next_allowed(clock, policy))
    unsigned = workdays_between(due.calendar, since, due.today)
    late = unsigned_lateness(unsigned, policy.ack_chase_after)
    if late < 1:
        return plan
    anchor = assignment[:12]
    common: dict[str, Any] = {
        "subject": f"{measure.code}@{signer.member}" if signer.member else measure.code,
        "due_at": due.now,
        "measure_id": measure.id,
        "unit_id": signer.unit_id if signer.unit_id is not None else measure.lead_unit_id,
    }
    context = {**measure_context(measure, due), "_held": due.now > clock.now, "unsigned_workdays": unsigned}
    signer_audience = Audience.CO if signer.co else Audience.OWNER
    plan.messages += recipient_messages(
        recipients.unit,
        kind=MessageKind.ACK_REMINDER,
        period=f"unsigned-{anchor}",
        template="unsigned",
        context={**context, "level_label": ""},
        audience=signer_audience,
        **common,
    )
    if signer.co:
        return plan
    # a lead signer's 签收 late ``late`` working days climbs the ladder, each step once
    climb(
        plan,
        measure,
        recipients,
        due,
        policy,
        reached=late,
        threshold=policy.threshold,
        member=signer.member,
        template="unsigned",
        step_facts={"unsigned": anchor, "unsigned_workdays": unsigned},
        common=common,
        context=context,
    )
    return plan
