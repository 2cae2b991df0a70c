"""When a task is retried: transient failures (a dropped connection, a locked database) are; business
conditions are not, since a retry cannot change them (the calendar of a year is not published, the measure
or round is not in the ledger, there is no ledger). Used as ``retry_condition_fn`` on the tasks' decorators."""

from __future__ import annotations

from typing import Any

from models.errors import CalendarNotPublished, NoLedger, UnknownMeasure, UnknownRound

NOT_RETRIED: tuple[type[BaseException], ...] = (
    CalendarNotPublished,
    NoLedger,
    UnknownMeasure,
    UnknownRound,
)


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Whether a failed task run is worth another try: not when it failed on a business condition."""
    try:
        state.result()
    except NOT_RETRIED:
        return False
    except Exception:
        return True
    return True
