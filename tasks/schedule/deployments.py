"""The deployments the ledger wants: one ``check_measure`` deployment per live measure.

What a measure's deployment holds (``wanted_deployments``):

- name: the measure code; flow ``check_measure``; parameters ``{"measure": CODE}``;
- tags: ``zhenggai`` (marks what sync manages), ``round:<round>``, ``problem:<n>``, ``unit:<lead unit>``,
  ``leader:<leader contact>``;
- a description in the notice's words (problem, measure, owner, deadline, cadence);
- schedules, each with ``timezone=Settings.timezone`` and a stable slug: ``cadence`` (the measure's cadence,
  see ``models.cadence``) and ``deadline`` (reminders, see ``models.deadlines``). Each schedule passes
  ``trigger`` (``cadence`` or ``deadline``) to the run;
- ``paused`` when the measure is closed (销号), with the tag ``status:closed`` (how sync tells its own pause
  from one made by hand in the Prefect UI). A measure removed from the ledger loses its deployment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

from sqlalchemy.orm import Session

from models.cadence import cadence_schedule, effective_cadence
from models.clock import Clock
from models.deadlines import deadline_schedule, reminder_offsets_of
from models.enums import MeasureStatus
from models.errors import CalendarNotPublished
from models.notifications import Policy, digest_hour_of_day
from models.rules import chinese_ordinal, format_chinese_date
from models.schedules import exceptions_start
from models.tables import Measure
from tasks.ledger.queries import live_measures

FLOW_NAME = "check_measure"
ENTRYPOINT = "flows.check_measure.check_measure"  # a module path: works wherever zhenggai is installed
MANAGED_TAG = "zhenggai"
CLOSED_TAG = "status:closed"  # on a deployment sync paused because its measure is closed (销号)


@dataclass(frozen=True)
class WantedSchedule:
    """One schedule of a measure deployment."""

    slug: str  # "cadence" or "deadline": stable, so a re-sync updates in place
    kind: str  # "cron" or "rrule"
    value: str
    timezone: str

    @property
    def parameters(self) -> dict[str, Any]:
        return {"trigger": self.slug}

    def key(self) -> tuple[Any, ...]:
        return (self.slug, self.kind, self.value, self.timezone, True, (("trigger", self.slug),))


@dataclass(frozen=True)
class WantedDeployment:
    """What the ledger says one measure's deployment should be."""

    name: str
    round_code: str
    description: str
    tags: tuple[str, ...]
    schedules: tuple[WantedSchedule, ...]
    paused: bool

    @property
    def parameters(self) -> dict[str, Any]:
        return {"measure": self.name}


# The housekeeping deployments on the working-day calendar (调休 Saturdays worked, holidays not), in the
# coordinators' words: (flow name, deployment name) → cadence. ``serve`` registers them so; on the worker
# path the housekeeping sync brings ``prefect.yaml``'s deployments of these names to the same schedules.
SWEEP = ("sweep", "daily-sweep")
SWEEP_TIME = time(8, 30)
HOUSEKEEPING_CADENCES: dict[tuple[str, str], str] = {
    SWEEP: f"每个工作日 {SWEEP_TIME:%H:%M}",
    ("digest", "weekly-digest"): "每周一 09:00",
    ("assess_units", "assess-units"): "每周第一个工作日 09:00",
}


def housekeeping_schedule(flow_name: str, deployment: str, clock: Clock) -> WantedSchedule:
    """The working-day schedule of a housekeeping deployment (slug: the deployment's name), as of the clock."""
    spec = cadence_schedule(
        HOUSEKEEPING_CADENCES[(flow_name, deployment)], clock.calendar, clock.today, today=clock.today
    )
    return WantedSchedule(deployment, spec.kind, spec.value, clock.timezone)


DIGEST_HOUR_SLUG = "digest-hour"


def housekeeping_schedules(
    flow_name: str, deployment: str, clock: Clock, policy: Policy
) -> tuple[WantedSchedule, ...]:
    """A housekeeping deployment's working-day schedules, as of the clock: its own (``housekeeping_schedule``)
    and, for the sweep, one more at the hour the daily digests fall due (slug ``digest-hour``) when that is
    not the sweep's own time, so that a digest due at 09:00 goes at 09:00, not with the next day's sweep."""
    schedules = [housekeeping_schedule(flow_name, deployment, clock)]
    due = digest_hour_of_day(policy)
    if (flow_name, deployment) == SWEEP and due is not None and due != SWEEP_TIME:
        spec = cadence_schedule(f"每个工作日 {due:%H:%M}", clock.calendar, clock.today, today=clock.today)
        schedules.append(WantedSchedule(DIGEST_HOUR_SLUG, spec.kind, spec.value, clock.timezone))
    return tuple(schedules)


def wanted_deployments(
    session: Session,
    clock: Clock,
    *,
    reminder_offsets: Sequence[int],
    reminder_hour: time,
    round_code: str | None = None,
    skipped: dict[str, str] | None = None,
) -> list[WantedDeployment]:
    """Every live measure (not removed) as the deployment it should have, registered as of the clock's day.

    The working-day exceptions of its schedules start on the 1st of that day's month
    (``models.schedules.exceptions_start``); schedules run in the clock's zone. With ``skipped`` given,
    a measure whose dates cannot be computed (``CalendarNotPublished``) is put there (code → why) and
    left out, so that it never stops the others; without it the error is raised.
    """
    wanted = []
    for measure in live_measures(session, round_code=round_code):
        try:
            wanted.append(
                wanted_deployment(
                    measure, clock, reminder_offsets=reminder_offsets, reminder_hour=reminder_hour
                )
            )
        except CalendarNotPublished as error:
            if skipped is None:
                raise
            skipped[measure.code] = str(error)
    return wanted


def wanted_deployment(
    measure: Measure, clock: Clock, *, reminder_offsets: Sequence[int], reminder_hour: time
) -> WantedDeployment:
    """What the ledger says ``measure``'s deployment should be."""
    problem = measure.problem
    round_ = problem.round
    schedules = []
    # 长期坚持 without a cadence of its own: the round's ongoing cadence
    cadence = effective_cadence(measure.cadence, measure.deadline, round_.ongoing_cadence)
    if cadence:
        spec = cadence_schedule(cadence, clock.calendar, round_.feedback_date, today=clock.today)
        schedules.append(WantedSchedule("cadence", spec.kind, spec.value, clock.timezone))
    if measure.deadline is not None:
        spec = deadline_schedule(
            measure.deadline,
            reminder_offsets_of(measure.reminder_offsets, reminder_offsets),
            reminder_hour,
            clock.calendar,
            exceptions_from=exceptions_start(clock.today),
        )
        schedules.append(WantedSchedule("deadline", spec.kind, spec.value, clock.timezone))
    tags = [MANAGED_TAG, f"round:{round_.code}", f"problem:{problem.ordinal}"]
    if measure.lead_unit is not None:
        tags.append(f"unit:{measure.lead_unit.code}")
    if measure.leader is not None:
        tags.append(f"leader:{measure.leader.code}")
    if measure.status == MeasureStatus.CLOSED:
        tags.append(CLOSED_TAG)
    return WantedDeployment(
        name=measure.code,
        round_code=round_.code,
        description=describe_measure(measure),
        tags=tuple(sorted(tags)),
        schedules=tuple(schedules),
        paused=measure.status == MeasureStatus.CLOSED,
    )


def describe_measure(measure: Measure) -> str:
    """The deployment description, in the notice's words."""
    problem = measure.problem
    lines = [
        f"{chinese_ordinal(problem.ordinal)}、{problem.title}",
        f"整改措施：{measure.marker}{measure.text}",
    ]
    owner = f"责任单位：{measure.lead_unit.name if measure.lead_unit else '【未指定】'}"
    if measure.co_units:
        owner += f"；配合单位：{'、'.join(u.name for u in measure.co_units)}"
    if measure.leader is not None:
        owner += f"；责任领导：{measure.leader.role or measure.leader.person}"
    lines.append(owner)
    deadline = f"完成时限：{measure.deadline_spec}"
    if measure.deadline is not None and measure.deadline_spec != measure.deadline.isoformat():
        deadline += f"（{format_chinese_date(measure.deadline)}）"
    elif measure.deadline is not None:
        deadline = f"完成时限：{format_chinese_date(measure.deadline)}"
    lines.append(deadline)
    cadence = effective_cadence(measure.cadence, measure.deadline, problem.round.ongoing_cadence)
    if cadence:
        from models.cadence import parse_cadence

        ongoing = "（长期坚持，按本轮默认频次）" if not measure.cadence else ""
        lines.append(f"频次：{parse_cadence(cadence).label}{ongoing}")
    return "\n".join(lines)
