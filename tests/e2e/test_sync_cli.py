"""The CLI front doors of scheduling: ``zhenggai measure schedule`` and ``zhenggai sync`` errors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models.db import Database
from models.tables import Measure, StatusEvent


def test_measure_schedule_sets_and_shows_the_cadence_in_words(seeded_database: Database, cli: Any) -> None:
    shown = cli("measure", "schedule", "XH-05-2")
    assert shown.exit_code == 0, shown.output
    assert "每周一 09:00（下次：" in shown.output

    changed = cli("measure", "schedule", "XH-05-2", "每周五下午3点")
    assert changed.exit_code == 0, changed.output
    assert "每周五 15:00（下次：" in changed.output and "周五" in changed.output
    with seeded_database.unit_of_work() as session:
        measure = session.scalars(select(Measure).where(Measure.code == "XH-05-2")).one()
        assert measure.cadence == "每周五下午3点"  # stored as written
        event = session.scalars(
            select(StatusEvent).where(StatusEvent.measure_id == measure.id, StatusEvent.actor == "cli")
        ).one()
        assert "每周一 09:00 → 每周五下午3点" in event.reason

    cleared = cli("measure", "schedule", "XH-05-2", "--clear")
    assert cleared.exit_code == 0 and "no cadence" in cleared.output


def test_an_unknown_phrase_is_an_error_listing_the_accepted_forms(
    seeded_database: Database, cli: Any
) -> None:
    result = cli("measure", "schedule", "XH-05-2", "每两周一次")
    assert result.exit_code == 1
    assert "error: unknown cadence '每两周一次'" in result.output
    assert "每月第一个工作日" in result.output and "每季度末" in result.output
    with seeded_database.unit_of_work() as session:
        measure = session.scalars(select(Measure).where(Measure.code == "XH-05-2")).one()
        assert measure.cadence == "每周一 09:00"  # nothing written


def test_unknown_measure_and_round_are_errors(seeded_database: Database, cli: Any) -> None:
    result = cli("measure", "schedule", "XH-99-9", "每天")
    assert result.exit_code == 1 and "no measure 'XH-99-9'" in result.output
    result = cli("sync", "--round", "no-such-round")
    assert result.exit_code == 1 and "no round 'no-such-round'" in result.output


def test_help_ends_with_an_example(cli: Any) -> None:
    for command in (["sync"], ["serve"], ["measure", "schedule"], ["measure", "check"]):
        result = cli(*command, "--help")
        assert result.exit_code == 0 and "Example: zhenggai" in result.output, command
