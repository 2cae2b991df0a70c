"""The 督办 step a measure is at now, read in one statement: its latest valid escalation, unless its status
moved since; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.db import Database
from models.enums import EventKind
from models.notifications import Level
from models.tables import StatusEvent
from tasks.reports.desk import escalation_levels
from tests.factories import make_measure, make_problem

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def test_the_latest_escalation_counts_until_the_status_moves(database: Database) -> None:
    with database.unit_of_work() as session:
        problem = make_problem(session)
        measures = {
            name: make_measure(session, problem) for name in ("climbed", "moved", "again", "odd", "none")
        }
        steps = [  # (measure, kind, to_value, hours after T0)
            ("climbed", EventKind.ESCALATION, "blue", 0),
            ("climbed", EventKind.ESCALATION, "red", 2),
            ("climbed", EventKind.ESCALATION, "yellow", 1),  # recorded later, earlier step: red is latest
            ("moved", EventKind.ESCALATION, "yellow", 0),
            ("moved", EventKind.STATUS, "in_progress", 1),  # a report moved it: no step now
            ("again", EventKind.STATUS, "in_progress", 0),
            ("again", EventKind.ESCALATION, "blue", 0),  # at the same moment as the move: it stands
            ("odd", EventKind.ESCALATION, "unit", 0),
            ("odd", EventKind.ESCALATION, "purple", 3),  # not a step of the ladder: ignored
        ]
        for name, kind, value, hours in steps:
            session.add(
                StatusEvent(
                    measure=measures[name],
                    at=T0 + timedelta(hours=hours),
                    actor="test",
                    kind=kind,
                    to_value=value,
                )
            )
        session.flush()
        levels = escalation_levels(session, [m.id for m in measures.values()])
        named = {name: levels.get(m.id) for name, m in measures.items()}
    assert named == {
        "climbed": Level.RED,
        "moved": None,
        "again": Level.BLUE,
        "odd": Level.UNIT,
        "none": None,
    }
    with database.unit_of_work() as session:
        assert escalation_levels(session, []) == {}
