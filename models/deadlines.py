"""Deadline reminders on Chinese working days, as a schedule Prefect can run.

A measure with a deadline is reminded at configured offsets before it (``Settings.reminder_offsets``,
default 5, 3 and 1 working days before and 0 = on the day), then every working day after it until the
measure is closed (sync pauses its deployment then), at ``Settings.reminder_hour`` local time.

"On the day" (``due_day``) for a deadline that falls on a holiday or weekend means the last working day
before it: reminders run on working days only. The reminder sweep (``models.notifications``) plans its
messages from the same ``reminder_steps``. Nothing is stored: the schedule is derived from ``measure.deadline``
and the settings each time sync runs.

The schedule is one RRule set: a Monday–Friday rule from the day after the deadline (the open-ended
"every working day after"), corrected by EXDATE/RDATE over the calendar horizon like any working-day
cadence (``models.cadence``), plus RDATEs for the reminders before and on the deadline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from models.schedules import WORKWEEK, ScheduleSpec, horizon_end, rrule_with_exceptions
from models.workdays import WorkingCalendar, add_workdays, workdays_in


def due_day(deadline: date, calendar: WorkingCalendar) -> date:
    """ "On the day" of a deadline: the deadline itself, or the last working day before it when it falls
    on a holiday or weekend (reminders and the 今日到期 message go out on working days only)."""
    return deadline if calendar.is_workday(deadline) else add_workdays(calendar, deadline, -1)


def reminder_steps(
    deadline: date, offsets: Sequence[int], calendar: WorkingCalendar
) -> list[tuple[int, date]]:
    """(offset, working day) of each reminder before and on the deadline, latest first.

    Offsets count working days before the deadline; 0 is ``due_day``; negative offsets are ignored
    (after the deadline every working day is reminded anyway).
    """
    steps: dict[int, date] = {}
    for offset in offsets:
        if offset < 0:
            continue
        steps[offset] = (
            due_day(deadline, calendar) if offset == 0 else add_workdays(calendar, deadline, -offset)
        )
    return sorted(steps.items(), key=lambda item: (item[1], -item[0]), reverse=True)


MAX_REMINDER_OFFSET = 60  # working days before a deadline: about three months


def parse_reminder_offsets(text: str) -> tuple[int, ...]:
    """Reminder offsets as coordinators write them (``5、3、1、0``, ``5,3,1``; working days before the
    deadline, 0 = on the day), largest first; raises ``ValueError`` naming what is wrong."""
    parts = [p for p in re.split(r"[\s,，、;；]+", text.strip()) if p]
    if not all(p.isdigit() for p in parts):
        raise ValueError(f"'{text}' is not a list of working days (e.g. 5、3、1、0)")
    return checked_reminder_offsets([int(p) for p in parts])


def checked_reminder_offsets(offsets: Sequence[int]) -> tuple[int, ...]:
    """Offsets as a measure keeps them: each 0…``MAX_REMINDER_OFFSET`` working days, once, largest first."""
    for offset in offsets:
        if not 0 <= offset <= MAX_REMINDER_OFFSET:
            raise ValueError(
                f"a reminder is 0 to {MAX_REMINDER_OFFSET} working days before the deadline, not {offset}"
            )
    return tuple(sorted(set(offsets), reverse=True))


def reminder_offsets_of(own: Sequence[int] | None, installation: Sequence[int]) -> list[int]:
    """The offsets a measure is reminded on: its own (``[]``: none), else the installation's."""
    return list(own if own is not None else installation)


def reminder_offsets_text(offsets: Sequence[int]) -> str:
    """``5、3、1、0`` (what the desk shows and takes back); an empty list: no reminder."""
    return "、".join(str(o) for o in offsets)


def reminder_days_before(deadline: date, offsets: Sequence[int], calendar: WorkingCalendar) -> list[date]:
    """The working days of the reminders before and on the deadline (offsets ≥ 0, in working days)."""
    return sorted({day for _offset, day in reminder_steps(deadline, offsets, calendar)})


def deadline_schedule(
    deadline: date,
    offsets: list[int],
    at: time,
    calendar: WorkingCalendar,
    *,
    until: date | None = None,
    exceptions_from: date | None = None,
) -> ScheduleSpec:
    """The reminder schedule of a deadline: offsets before it, then every working day after it.

    ``until`` is the end of the working-day horizon (default: the calendar's last published day);
    ``exceptions_from`` starts the rule and its exceptions no earlier than that day (see
    ``models.schedules.exceptions_start``); the reminders before the deadline stay as RDATEs, but
    those before ``exceptions_from`` (past: they change no future run) are left out.
    """
    start = deadline + timedelta(days=1)
    end = until if until is not None else horizon_end(calendar, date(deadline.year, 1, 1))
    first = max(start, exceptions_from or start)  # a later DTSTART spares the server old occurrences
    clock = f"BYHOUR={at.hour};BYMINUTE={at.minute};BYSECOND=0"
    head = f"DTSTART:{datetime.combine(first, at):%Y%m%dT%H%M%S}\nRRULE:FREQ=WEEKLY;BYDAY={WORKWEEK};{clock}"
    before = [d for d in reminder_days_before(deadline, offsets, calendar) if d >= (exceptions_from or d)]
    after = workdays_in(calendar, first, end) if end >= first else []
    return rrule_with_exceptions(head, after, at, first, end, extra=before)
