"""Running a ledger step the way a front door does: in a unit of work that commits what the step returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from models.clock import Clock
from models.db import Database
from models.settings import get_settings

T = TypeVar("T")


def committed(database: Database, step: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``step(session, *args, **kwargs)`` in a new unit of work, committed when it returns."""
    with database.unit_of_work() as session:
        result = step(session, *args, **kwargs)
        session.commit()
    return result


def settings_clock() -> Clock:
    """The configured clock now (the test's settings)."""
    return get_settings().clock()
